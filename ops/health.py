"""Readiness: can the deployment do its work now? Each part answers "ok" or, briefly, why not."""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from messaging import sender
from neurocards.models import Heartbeat

log = logging.getLogger(__name__)

OK = "ok"
# The watchdog beats every minute; the cluster looks at its schedules about every 30 s.
HEARTBEAT_MAX_AGE = timedelta(minutes=2)
WEBHOOK_INFO_KEY = "neurocards:telegram:webhook-info"
WEBHOOK_INFO_SECONDS = 60
REDIS_TIMEOUT_SECONDS = 2


def local_checks():
    """The parts that live next to us: database, broker, a worker's heartbeat."""
    return {"database": database(), "broker": broker(), "worker": worker()}


def telegram_checked():
    # In debug without a token the bot is not meant to be reachable; in production a missing token is
    # already a failing system check, and here a failing part.
    return bool(settings.TELEGRAM_BOT_TOKEN) or not settings.DEBUG


def database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"unreachable ({type(error).__name__})"
    return OK


def broker():
    if settings.REDIS_URL:
        import redis  # only when configured: the ORM broker needs no Redis client

        try:
            _redis(settings.REDIS_URL).ping()
        except redis.RedisError as error:
            return f"redis unreachable ({type(error).__name__})"
        return OK
    try:
        OrmQ.objects.using(settings.Q_CLUSTER["orm"]).exists()
    except DatabaseError as error:
        return f"unreachable ({type(error).__name__})"
    return OK


def worker():
    at = Heartbeat.objects.filter(name="watchdog").values_list("at", flat=True).first()
    if at is None:
        return "no worker heartbeat yet"
    age = timezone.now() - at
    if age > HEARTBEAT_MAX_AGE:
        return f"last worker heartbeat {int(age.total_seconds())} s ago"
    return OK


def telegram():
    if not settings.TELEGRAM_BOT_TOKEN:
        return "TELEGRAM_BOT_TOKEN is empty"
    info = webhook_info()
    if "error" in info:
        return f"getWebhookInfo failed ({info['error']})"
    if not info.get("url"):
        return "webhook not set"
    if settings.PUBLIC_BASE_URL and info["url"] != settings.PUBLIC_BASE_URL + reverse("telegram-webhook"):
        return "webhook points elsewhere"
    return OK


def webhook_info():
    """Telegram's getWebhookInfo, remembered for a minute in this process's cache, failures too: probes
    and scrapes never make more than one call a minute, even while Telegram hangs."""
    info = cache.get(WEBHOOK_INFO_KEY)
    if info is None:
        try:
            answer = sender.api("getWebhookInfo", {}) or {}
            info = {
                key: answer.get(key) for key in ("url", "pending_update_count", "last_error_date", "last_error_message")
            }
        except sender.SendFailed as error:
            log.warning("telegram getWebhookInfo failed: %s", error)
            info = {"error": str(error).removeprefix("getWebhookInfo: ")[:200]}
        cache.set(WEBHOOK_INFO_KEY, info, WEBHOOK_INFO_SECONDS)
    return info


def broker_queue():
    """(tasks waiting, tasks taken by a worker and not acknowledged — None where the broker can't tell)."""
    name = settings.Q_CLUSTER["name"]
    if settings.REDIS_URL:
        return _redis(settings.REDIS_URL).llen(f"django_q:{name}:q"), None
    tasks = OrmQ.objects.using(settings.Q_CLUSTER["orm"]).filter(key=name)
    now = timezone.now()
    return tasks.filter(lock__lte=now).count(), tasks.filter(lock__gt=now).count()


@functools.cache
def _redis(url):
    import redis  # only when configured (see broker())

    # One pooled client per process, and a probe that fails fast rather than hangs.
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS)
