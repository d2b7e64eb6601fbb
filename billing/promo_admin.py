"""Promo codes in the admin: superusers create and edit them, support views them and who redeemed them.

The counter (`redeemed`) and the redemptions are read-only: they move only through billing.promo.redeem,
with the credits in the ledger.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from billing import promo
from billing.models import PromoCode, PromoRedemption
from neurocards.lib.admin_actions import ReadOnlyInline

STATES = {
    "": pgettext_lazy("promo code", "open"),
    promo.NOT_ACTIVE: pgettext_lazy("promo code", "switched off"),
    promo.NOT_YET: pgettext_lazy("promo code", "not yet valid"),
    promo.EXPIRED: pgettext_lazy("promo code", "expired"),
    promo.USED_UP: pgettext_lazy("promo code", "used up"),
}


class PromoCodeForm(forms.ModelForm):
    class Meta:
        model = PromoCode
        fields = ["code", "credits", "max_redemptions", "valid_from", "valid_until", "is_active", "new_users_only"]

    def clean_code(self):
        # Stored as the bot compares it: a code saved in lower case or with a space would never match.
        code = promo.normalise(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(
                _("Letters, digits, “-” and “_” only, at most %(n)s characters.") % {"n": promo.MAX_LENGTH}
            )
        return code

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("It must be later than “valid from”."))
        total = cleaned.get("max_redemptions")
        if total is not None and self.instance.pk and total < self.instance.redeemed:
            self.add_error(
                "max_redemptions",
                ngettext(
                    "It has been redeemed %(n)s time already: at least that many.",
                    "It has been redeemed %(n)s times already: at least that many.",
                    self.instance.redeemed,
                )
                % {"n": self.instance.redeemed},
            )
        return cleaned


class PromoRedemptionInline(ReadOnlyInline):
    model = PromoRedemption
    fields = readonly_fields = ["user", "created_at", "credits"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(PromoCode)
class PromoCodeAdmin(admin.ModelAdmin):
    form = PromoCodeForm
    list_display = [
        "code",
        "credits",
        "redemptions",
        "valid_from",
        "valid_until",
        "is_active",
        "new_users_only",
        "state",
    ]
    list_filter = ["is_active", "new_users_only", "valid_until", "created_at"]
    search_fields = ["code"]
    readonly_fields = ["redeemed", "created_at"]
    inlines = [PromoRedemptionInline]

    def get_fields(self, request, obj=None):
        fields = [*PromoCodeForm.Meta.fields]
        return [*fields, "redeemed", "created_at"] if obj else fields

    @admin.display(description=_("redeemed"))
    def redemptions(self, obj):
        return f"{obj.redeemed} / {obj.max_redemptions}" if obj.max_redemptions is not None else f"{obj.redeemed} / ∞"

    @admin.display(description=pgettext_lazy("promo code", "state"))
    def state(self, obj):
        return STATES[promo.state(obj, timezone.now())]

    def save_model(self, request, obj, form, change):
        # Never `redeemed`: a redemption counted while the form was being saved would be written over.
        obj.save(update_fields=PromoCodeForm.Meta.fields if change else None)

    def has_delete_permission(self, request, obj=None):
        # Redeemed codes are protected by their redemptions; one nobody used may go.
        if obj is not None and obj.redeemed:
            return False
        return super().has_delete_permission(request, obj)
