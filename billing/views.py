import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import settlement, yookassa
from billing.models import WebhookEvent
from neurocards.lib.jsonbody import parse_json
from neurocards.lib.network import allowed, client_ip, networks

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def yookassa_webhook(request):
    """verify the sender → record in the inbox → parse → re-fetch from the API → settle → 200."""
    sender = client_ip(request, networks(settings.TRUSTED_PROXIES))
    if not allowed(sender, networks(settings.YOOKASSA_ALLOWED_IPS)):
        log.warning("yookassa notification from %s refused", sender)
        return HttpResponseForbidden("sender not allowed")
    try:
        event = WebhookEvent.objects.create(provider="yookassa", payload=request.body.decode("utf-8", "replace"))
    except DatabaseError:
        log.exception("yookassa notification could not be recorded")
        return HttpResponse("not recorded, send again", status=500)
    try:
        data = parse_json(request.body)
        kind, object_id = data["event"], data["object"]["id"]
        if not isinstance(kind, str) or not isinstance(object_id, str) or not object_id:
            raise ValueError("event and object id must be strings")
    except (ValueError, KeyError, TypeError):
        _close(event, WebhookEvent.Status.FAILED, "not a YooKassa notification")
        return HttpResponseBadRequest("not a notification")
    WebhookEvent.objects.filter(pk=event.pk).update(event_type=kind[:64], event_id=object_id[:200])
    try:
        outcome = settlement.handle_notification(kind, object_id)
    except yookassa.NotFound:
        # The API knows no such payment or refund (another shop's object, or an id made up by someone
        # inside YooKassa's ranges): asking again for 24 h can't change that, so it is acknowledged.
        _close(event, WebhookEvent.Status.IGNORED, "ignored: unknown to the YooKassa API")
        log.warning("yookassa %s %s: unknown to the API, ignored", kind, object_id)
        return HttpResponse("ignored")
    except (yookassa.ResultUnknown, yookassa.Refused) as error:
        # Not acknowledged: YooKassa delivers it again, and reconciliation looks too. That holds for other
        # refusals too (401/403: our shop id or key are wrong; 429: too many requests): the notification came
        # from YooKassa's own addresses and may be a real payment, so it must come again once the keys are
        # fixed or the pause is over; acknowledging it would leave only reconciliation to find the money.
        _close(event, WebhookEvent.Status.FAILED, str(error))
        log.error("yookassa %s %s: API not reached (%s)", kind, object_id, error)
        return HttpResponse("payment API unreachable, send again", status=503)
    status = WebhookEvent.Status.IGNORED if outcome.startswith("ignored") else WebhookEvent.Status.PROCESSED
    _close(event, status, outcome)
    log.info("yookassa %s %s: %s", kind, object_id, outcome)
    return HttpResponse("ok")


def payment_return(request):
    return render(request, "billing/return.html", {"bot_url": settings.BOT_URL})


def _close(event, status, note):
    WebhookEvent.objects.filter(pk=event.pk).update(status=status, error=note[:2000], processed_at=timezone.now())
