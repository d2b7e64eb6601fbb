import hmac

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound, JsonResponse

from neurocards.lib.network import allowed, client_ip, networks
from ops import health
from ops import metrics as exposition


def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


async def readyz(request):
    """200 when every part answers, else 503. For monitoring, not for the load balancer: a stopped worker
    cluster must not take the webhook's web servers out of rotation. Which parts fail, and why, only for the
    callers /metrics answers: to anyone else they map the deployment (broker, webhook state)."""
    checks = await sync_to_async(health.local_checks)()
    if health.telegram_checked():
        # Off the thread the ORM shares with the webhook: a Telegram that hangs (at most once a minute,
        # the answer is cached) delays this probe only.
        checks["telegram"] = await sync_to_async(health.telegram, thread_sensitive=False)()
    failing = sorted(name for name, result in checks.items() if result != health.OK)
    body = {"status": "failing" if failing else "ok"}
    if _metrics_caller_allowed(request):
        body["checks"] = checks
        if failing:
            body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def metrics(request):
    """Prometheus text format, for a Bearer METRICS_TOKEN or an address in METRICS_ALLOWED_IPS.
    404 while neither is configured: the endpoint does not exist until an operator turns it on."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        return HttpResponseNotFound("metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_IPS")
    if not _metrics_caller_allowed(request):
        return HttpResponseForbidden("not allowed")
    return HttpResponse(exposition.render(), content_type=exposition.CONTENT_TYPE)


def _metrics_caller_allowed(request):
    if settings.METRICS_TOKEN:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode()):
            return True
    if settings.METRICS_ALLOWED_IPS:
        return allowed(client_ip(request, networks(settings.TRUSTED_PROXIES)), networks(settings.METRICS_ALLOWED_IPS))
    return False
