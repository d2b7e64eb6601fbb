"""Admin plumbing shared by the support console: actions that ask for a reason on an intermediate page,
their buttons on change pages, their permissions, and read-only inlines.

An action decorated with `asks(Form, …)` first renders templates/admin/action_form.html for the
selected rows; the page posts back to the changelist with `apply`, and only then does the action run,
as `action(modeladmin, request, objects, data)` with the form's cleaned data.
"""

import functools
import uuid

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

APPLY = "apply"
NONE_ELIGIBLE = _("None of the selected rows applies.")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
        help_text=_("Recorded with your name in the ledger and the admin log."),
    )


class TellsUser(forms.Form):
    """Mixed into an action's form whose effect the user should hear about from the bot (a refund, a grant,
    a cancel, a revoke): `data["tell_user"]`, on unless staff untick it."""

    tell_user = forms.BooleanField(
        label=_("Tell the user"),
        required=False,
        initial=True,
        help_text=_("The bot tells the user what was done, in their language."),
    )


class OnceForm(ReasonForm):
    """A form whose effect happens once however often it is submitted: the key is made when the page is
    shown and travels in a hidden field, and the action derives its ledger key or order id from it."""

    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


def asks(form_class, *, title, submit, intro="", eligible=None, none_eligible=None):
    """Decorate an action so that it asks for `form_class` first. `eligible(queryset)` narrows the selection."""

    def decorate(action):
        @functools.wraps(action)
        def run(modeladmin, request, queryset):
            objects = list(eligible(queryset) if eligible else queryset)
            form = form_class(request.POST if APPLY in request.POST else None)
            if objects and form.is_valid():
                action(modeladmin, request, objects, form.cleaned_data)
                return _back(request)
            return TemplateResponse(
                request,
                "admin/action_form.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "opts": modeladmin.model._meta,
                    "title": title,
                    "intro": intro,
                    "submit": submit,
                    "none_eligible": none_eligible or NONE_ELIGIBLE,
                    "objects": objects,
                    "form": form,
                    "action": run.__name__,
                    "next": _next(request),
                },
            )

        return run

    return decorate


def _back(request):
    """Where an action started from a change page returns to; None lets the admin go back to the list."""
    target = _next(request)
    return HttpResponseRedirect(target) if target else None


def _next(request):
    """The posted `_next`, only when it is a page of this site: it is rendered into a link and a redirect, so
    a `javascript:` or foreign URL smuggled into the form must never reach either."""
    target = request.POST.get("_next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def permission(codename):
    """A `has_<name>_permission` method for `@admin.action(permissions=[name])`, e.g. "accounts.grant_credits"."""

    def has_permission(self, request):
        return request.user.has_perm(codename)

    return has_permission


class ObjectActions(admin.ModelAdmin):
    """Buttons on the change page for the `object_actions` this user may run and that apply to this object,
    each opening the action's form."""

    object_actions = []
    change_form_template = "admin/object_actions_change_form.html"

    def action_applies(self, name, obj):
        """Whether action `name` makes sense for `obj` (a completed generation can't be cancelled …);
        its button is shown only then. The action itself still narrows its selection with `eligible`."""
        return True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        allowed = dict(self.get_action_choices(request, default_choices=[]))
        obj = self.get_object(request, object_id) if object_id else None
        buttons = [
            (name, allowed[name])
            for name in self.object_actions
            if name in allowed and (obj is None or self.action_applies(name, obj))
        ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "object_actions": buttons})


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by their services (the ledger, the audit, redemptions): nobody adds, edits or deletes
    one in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecentFormSet(BaseInlineFormSet):
    limit = 20

    def get_queryset(self):
        # Sliced once and kept: the formset indexes it per row, which must not be a query per row.
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset()[: self.limit]
        return self._recent


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for context with a link to each; they change only through their own services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecentInline(ReadOnlyInline):
    formset = RecentFormSet
