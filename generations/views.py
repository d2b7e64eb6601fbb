import base64
import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import pipeline
from generations.models import Generation
from neurocards.lib.jsonbody import parse_json

log = logging.getLogger(__name__)

MAX_CLOCK_SKEW = 300


@csrf_exempt
@require_POST
def kie_callback(request, token):
    """KIE says a task moved. Only a wake-up: the state is re-read from the API, the body never trusted.

    Every KIE API names the task in `data.taskId`: the jobs API (its body is recordInfo's) and Veo's (its body
    code is the outcome, 200 or an error, and the result is under `data.info`; docs/veo.md), so the code is
    not looked at either."""
    generation = Generation.objects.filter(callback_token=token).only("pk", "status", "provider_task_id").first()
    if generation is None:
        return HttpResponse("unknown", status=404)
    try:
        body = parse_json(request.body)
        task_id = body["data"]["taskId"]
    except (ValueError, KeyError, TypeError):
        return HttpResponse("not a KIE callback", status=400)
    if settings.KIE_WEBHOOK_HMAC_KEY and not _signed(request, str(task_id)):
        log.warning("generation %s: callback with a bad signature refused", generation.pk)
        return HttpResponseForbidden("bad signature")
    woken = task_id == generation.provider_task_id and pipeline.wake(generation)
    log.info("generation %s: callback, %s", generation.pk, "woken" if woken else "ignored")
    return JsonResponse({"code": 200, "msg": "ok"})


def _signed(request, task_id):
    timestamp = request.headers.get("X-Webhook-Timestamp", "")
    signature = request.headers.get("X-Webhook-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    # KIE signs "taskId.timestamp", not the body.
    digest = hmac.new(settings.KIE_WEBHOOK_HMAC_KEY.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256)
    expected = base64.b64encode(digest.digest()).decode()
    return hmac.compare_digest(expected, signature)
