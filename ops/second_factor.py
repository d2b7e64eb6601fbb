"""The admin's second factor (TOTP, django-otp): staff who can move credits pass a code once per session.

With ADMIN_REQUIRE_OTP on, such a member is sent after the password to «Код подтверждения», or, without a
confirmed device yet, to the enrolment page (QR code and secret, confirmed by a first code). Everything else in
the admin waits until then: a page is redirected, a form or action (POST) refused with 403. Staff who can't move
credits are not asked. A lost phone: a superuser deletes the member's device (TOTP devices in the admin), and
the next login enrols a new one (docs/second-factor.md).
"""

import logging
from base64 import b32encode
from urllib.parse import urlencode

import segno
from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from neurocards.lib.middleware import BothKinds

log = logging.getLogger(__name__)

# The permissions that move credits or money: whoever has one of them passes the second factor.
MONEY_PERMISSIONS = (
    "accounts.grant_credits",
    "accounts.revoke_credits",
    "generations.refund_generation",
    "generations.cancel_generation",
    "generations.retry_generation",
    "billing.refund_stars",
    "billing.credit_payment",
)
# Pages a member reaches before the code: signing in and out, and the second factor's own.
OPEN_VIEWS = {"admin:login", "admin:logout", "admin:jsi18n", "second_factor_verify", "second_factor_enrol"}


def needs_second_factor(user):
    return (
        settings.ADMIN_REQUIRE_OTP
        and user.is_authenticated
        and user.is_staff
        and any(user.has_perm(name) for name in MONEY_PERMISSIONS)
    )


class RequireSecondFactor(BothKinds):
    """After django-otp's OTPMiddleware (request.user.is_verified()). Both kinds, like the admin's CSP: only
    admin paths leave the event loop for the user lookup, never the webhook."""

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return self._refusal(request) or self.get_response(request)

    async def _acall(self, request):
        if settings.ADMIN_REQUIRE_OTP and _in_admin(request):
            refusal = await sync_to_async(self._refusal)(request)
            if refusal:
                return refusal
        return await self.get_response(request)

    @staticmethod
    def _refusal(request):
        if not settings.ADMIN_REQUIRE_OTP or not _in_admin(request):
            return None
        try:
            view = resolve(request.path_info).view_name
        except Resolver404:
            return None
        user = request.user
        if view in OPEN_VIEWS or not needs_second_factor(user) or user.is_verified():
            return None
        if request.method not in ("GET", "HEAD"):
            return HttpResponseForbidden(_("Enter the confirmation code first."))
        page = "second_factor_verify" if _device(user) else "second_factor_enrol"
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")


def _in_admin(request):
    return request.path.startswith(reverse("admin:index"))


def _device(user, *, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _check(device, code):
    """(whether the code is right, seconds to wait when this try was not even taken). Under the device's row
    lock: two tries at once can't both pass one code, nor both skip the wait after a wrong one."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, refusal = device.verify_is_allowed()
        if not allowed:
            return False, max(1, round((refusal["locked_until"] - timezone.now()).total_seconds()))
        return device.verify_token(code.strip().replace(" ", "")), 0


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _refused(form, wait):
    if wait:
        form.add_error("code", _("Too many wrong codes. Try again in %(seconds)s s.") % {"seconds": wait})
    else:
        form.add_error("code", _("Wrong code. Check the time on the phone and enter the code shown now."))


def _page(request, template, title, **context):
    return TemplateResponse(
        request,
        template,
        {**admin.site.each_context(request), "title": title, "next": _next(request), **context},
    )


def verify(request):
    """«Код подтверждения»: the code from the member's confirmed device."""
    if not needs_second_factor(request.user):
        return redirect(_next(request))
    device = _device(request.user)
    if device is None:
        return redirect(f"{reverse('second_factor_enrol')}?{urlencode({'next': _next(request)})}")
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        right, wait = _check(device, form.cleaned_data["code"])
        if right:
            otp_login(request, device)
            log.info("second factor: staff %s verified", request.user.pk)
            return redirect(_next(request))
        log.warning("second factor: staff %s entered a wrong code", request.user.pk)
        _refused(form, wait)
    return _page(request, "admin/second_factor/verify.html", _("Confirmation code"), form=form)


def enrol(request):
    """A member without a device yet: a new secret (an unconfirmed device), shown as a QR code and as text,
    confirmed by the first right code. Once a device is confirmed, only a superuser deleting it starts over."""
    if not needs_second_factor(request.user):
        return redirect(_next(request))
    if _device(request.user):
        return redirect(f"{reverse('second_factor_verify')}?{urlencode({'next': _next(request)})}")
    device = _device(request.user, confirmed=False) or TOTPDevice.objects.create(
        user=request.user, name="admin", confirmed=False
    )
    form = CodeForm(request.POST or None)
    if form.is_valid():
        right, wait = _check(device, form.cleaned_data["code"])
        if right:
            with transaction.atomic():
                confirmed = TOTPDevice.objects.filter(pk=device.pk, confirmed=False).update(confirmed=True)
                # Another tab's secrets, never confirmed, would otherwise stay valid-looking rows.
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            if confirmed:
                device.refresh_from_db()
                otp_login(request, device)
                log.info("second factor: staff %s enrolled device %s", request.user.pk, device.pk)
            return redirect(_next(request))
        _refused(form, wait)
    return _page(
        request,
        "admin/second_factor/enrol.html",
        _("Set up the confirmation code"),
        form=form,
        # segno's SVG is markup it builds itself from the device's URL: no script, nothing from a request.
        qr=mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5)),
        secret=b32encode(device.bin_key).decode(),
    )
