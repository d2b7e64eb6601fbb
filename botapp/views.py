import hmac
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from telegram import Update
from telegram.error import TelegramError

from botapp import handlers, update_check
from botapp.application import get_application
from neurocards.lib.jsonbody import parse_json

log = logging.getLogger(__name__)

INT64 = 2**63


@csrf_exempt
@require_POST
async def webhook(request):
    """Telegram's deliveries: authenticated, parsed, handled once; 200 whatever a handler does, except 503
    when the database failed before the update was recorded."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET.encode()
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
    if not secret or not hmac.compare_digest(given, secret):
        return HttpResponseForbidden("wrong secret token")
    try:
        data = parse_json(request.body)
    except ValueError:
        return HttpResponseBadRequest("not JSON")
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if type(update_id) is not int or not 0 <= update_id < INT64:
        return HttpResponseBadRequest("not a Telegram update")
    wrong = update_check.problem(data)
    if wrong:
        log.warning("update %s: field %s of the wrong type or size, rejected", update_id, wrong)
        return HttpResponseBadRequest("malformed update")
    try:
        application = await get_application()
    except TelegramError as error:
        # Telegram redelivers on anything but 2xx: the update is not lost while the Bot API is away.
        log.error("update %s: bot could not start: %s", update_id, type(error).__name__)
        return HttpResponse("bot not ready", status=503)
    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # noqa: BLE001  (any malformed part of an update is the sender's error)
        log.warning("update %s: malformed, rejected", update_id)
        return HttpResponseBadRequest("malformed update")
    # Handler errors are caught by the Application's error handler, which logs them and apologises.
    if not await handlers.process(application, update):
        # The database failed before the update was recorded: Telegram redelivers on anything but 2xx.
        return HttpResponse("try again", status=503)
    return HttpResponse("ok")
