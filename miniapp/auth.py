"""Who calls the Mini App's API: the user named by the signed initData in `Authorization: tma <initData>`.

Nothing else authenticates: no session, no cookie is read, so a page elsewhere can't make a seller's browser
act for them (the views are CSRF-exempt for that reason; a cross-site request can't set this header without
a CORS preflight, which we never answer). Every failure is one answer, 401 `{"error": "unauthorized"}`:
missing, malformed, forged or stale data, a user blocked by staff, a user the bot has never met (with a
`message` then: open the bot's chat first).
"""

import functools
import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from accounts.models import TelegramUser, language_for
from miniapp import initdata, words

log = logging.getLogger(__name__)

SCHEME = "tma "


def error(status, code, message=None):
    body = {"error": code}
    if message is not None:
        body["message"] = message
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class Unauthorized(Exception):
    def __init__(self, message=None):
        super().__init__(message)
        self.message = message


def authenticate(request, *, max_age):
    """(TelegramUser, language) of the caller; raises Unauthorized."""
    header = request.headers.get("Authorization", "")
    if not header.startswith(SCHEME):
        raise Unauthorized
    try:
        fields = initdata.validate(header[len(SCHEME) :], bot_token=settings.TELEGRAM_BOT_TOKEN, max_age=max_age)
    except initdata.InvalidInitData as refusal:
        log.info("miniapp: initData refused (%s)", refusal)
        raise Unauthorized from None
    telegram_id = fields["user"]["id"]
    language = language_for(fields["user"].get("language_code"))
    user = TelegramUser.objects.filter(telegram_id=telegram_id).first()
    if user is None:
        # A user is made by their first update to the bot (the welcome, an invite's attribution, the chat the
        # results go to): the Mini App is opened from that chat, so one the bot never met is sent there first
        # rather than created half-way.
        log.info("miniapp: telegram user %s refused: unknown to the bot", telegram_id)
        with translation.override(language):
            raise Unauthorized(words.open_the_bot())
    if user.is_blocked:
        log.info("miniapp: user %s refused: blocked", user.pk)
        raise Unauthorized
    return user, language


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
            try:
                user, language = authenticate(request, max_age=getattr(settings, max_age_setting))
            except Unauthorized as refusal:
                return error(401, "unauthorized", refusal.message)
            try:
                with translation.override(language):
                    response = view(request, user, *args, **kwargs)
            except (OperationalError, InterfaceError) as failure:
                # The database went away or a lock timed out: nothing was done, worth trying again.
                log.warning("miniapp: %s for user %s: %s", request.path, user.pk, type(failure).__name__)
                return error(503, "unavailable")
            except Exception:
                # A bug: logged with its traceback; the page still gets JSON it can show an error for.
                log.exception("miniapp: %s failed for user %s", request.path, user.pk)
                return error(500, "server_error")
            response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorate
