"""Growth in the admin: the promo redemptions list (read-only), and what the user's page shows of referrals and
promo codes (whom they invited, the rewards they earned, the codes they redeemed), as inlines for ops/admin.py.
The PromoCode admin itself is billing/promo_admin.py."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import TelegramUser
from billing.models import CreditTransaction, Payment, PromoRedemption
from neurocards.lib.admin_actions import ReadOnlyAdmin, RecentInline

Kind = CreditTransaction.Kind
REWARD_KINDS = [Kind.REFERRAL_REWARD, Kind.REFERRAL_REWARD_TAKEN_BACK]


def user_link(user):
    url = reverse("admin:accounts_telegramuser_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, user)


@admin.register(PromoRedemption)
class PromoRedemptionAdmin(ReadOnlyAdmin):
    """Written by billing.promo with its ledger row; nobody adds, edits or deletes one here."""

    list_display = ["created_at", "user_telegram_id", "user", "promo", "credits"]
    list_filter = [("promo", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["=user__telegram_id", "user__username", "promo__code"]
    search_help_text = _("Telegram ID, @username or the code.")
    list_select_related = ["user", "promo"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["user", "promo", "credits", "created_at"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().removeprefix("@")
        if term.isdigit() and len(term) < 19:
            return queryset.filter(user__telegram_id=int(term)), False
        return super().get_search_results(request, queryset, term)

    @admin.display(description=_("Telegram ID"), ordering="user__telegram_id")
    def user_telegram_id(self, redemption):
        return redemption.user.telegram_id


class InviteeInline(RecentInline):
    model = TelegramUser
    fk_name = "referred_by"
    verbose_name = _("invited user")
    verbose_name_plural = _("invited users")
    fields = readonly_fields = ["telegram_id", "username", "campaign", "created_at", "paid"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request):
        paid = Payment.objects.filter(user=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
        return super().get_queryset(request).annotate(has_paid=Exists(paid))

    @admin.display(description=_("paid"), boolean=True)
    def paid(self, user):
        return user.has_paid


class ReferralRewardInline(RecentInline):
    model = CreditTransaction
    verbose_name = _("referral reward")
    verbose_name_plural = _("referral rewards (recent)")
    fields = readonly_fields = ["created_at", "amount", "kind", "payment", "payer"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind__in=REWARD_KINDS).select_related("payment__user")

    @admin.display(description=_("invitee who paid"))
    def payer(self, entry):
        return user_link(entry.payment.user) if entry.payment else self.get_empty_value_display()


class PromoRedemptionInline(RecentInline):
    model = PromoRedemption
    verbose_name_plural = _("promo codes redeemed")
    fields = readonly_fields = ["promo", "credits", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("promo")


class InvitedFilter(admin.SimpleListFilter):
    title = _("invited")
    parameter_name = "invited"

    def lookups(self, request, model_admin):
        return [("yes", _("by a friend")), ("no", _("not invited"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(referred_by__isnull=False)
        if self.value() == "no":
            return queryset.filter(referred_by__isnull=True)
        return queryset


class CampaignFilter(admin.SimpleListFilter):
    """The campaigns users came by (one query for the distinct names), or none."""

    title = _("campaign")
    parameter_name = "campaign__exact"

    def lookups(self, request, model_admin):
        names = TelegramUser.objects.exclude(campaign="").order_by("campaign").values_list("campaign", flat=True)
        return [("", _("no campaign"))] + [(name, name) for name in names.distinct()]

    def queryset(self, request, queryset):
        if self.value() is not None:
            return queryset.filter(campaign=self.value())
        return queryset
