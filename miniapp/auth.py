"""Who calls the Mini App's API: the user named by the signed initData in `Authorization: tma <initData>`.

Nothing else authenticates: no session, no cookie is read, so a page elsewhere can't make a seller's browser
act for them (the views are CSRF-exempt for that reason; a cross-site request can't set this header without
a CORS preflight, which we never answer). Every failure is one answer, 401 `{"error": "unauthorized"}`:
missing, malformed, forged or stale data, a user the bot has never met, a user blocked by staff.
"""

import functools
import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from accounts.models import TelegramUser, language_for
from miniapp import initdata

log = logging.getLogger(__name__)

SCHEME = "tma "


def error(status, code, message=None):
    body = {"error": code}
    if message is not None:
        body["message"] = message
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def unauthorized():
    return error(401, "unauthorized")


def authenticate(request, *, max_age):
    """(TelegramUser, language) of the caller, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith(SCHEME):
        return None
    try:
        fields = initdata.validate(header[len(SCHEME) :], bot_token=settings.TELEGRAM_BOT_TOKEN, max_age=max_age)
    except initdata.InvalidInitData as refusal:
        log.info("miniapp: initData refused (%s)", refusal)
        return None
    telegram_id = fields["user"]["id"]
    user = TelegramUser.objects.filter(telegram_id=telegram_id).first()
    if user is None or user.is_blocked:
        # A user is made by their first update to the bot (the welcome, an invite's attribution): the Mini App
        # is opened from the bot's chat, so one it has never met is refused rather than created half-way.
        log.info("miniapp: telegram user %s refused (%s)", telegram_id, "unknown" if user is None else "blocked")
        return None
    return user, language_for(fields["user"].get("language_code"))


def api_view(*methods, max_age_setting="MINIAPP_MAX_AGE_SECONDS"):
    """An API view of these HTTP methods, called as view(request, user, *args): JSON errors for the rest."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = error(405, "method_not_allowed")
                response["Allow"] = ", ".join(methods)
                return response
            caller = authenticate(request, max_age=getattr(settings, max_age_setting))
            if caller is None:
                return unauthorized()
            user, language = caller
            with translation.override(language):
                response = view(request, user, *args, **kwargs)
            response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorate
