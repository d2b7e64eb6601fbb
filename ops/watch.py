"""The watcher: alerts that must not depend on the workers (docs/alerts.md).

Run every minute by a systemd timer (deploy/neurocards-watch.timer), outside django-q2: it reads only
the database and talks only to Telegram, so it speaks when the workers, the broker or Redis are dead.
Each check opens its incident once and, when the condition is over, ends it with one "back" message.
"""

import logging
from datetime import UTC, timedelta

from django.conf import settings
from django.db.models import Exists, Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.models import Schedule

from billing.models import WebhookEvent
from generations import breaker, pipeline
from generations.models import Generation, ProviderHealth
from generations.providers import PROVIDERS, get_provider
from generations.providers.base import ProviderError
from messaging import alerts
from neurocards.models import Alert, Heartbeat

log = logging.getLogger(__name__)
Status = Generation.Status

WATCH = "watch"  # the watcher's own heartbeat: not a worker's
WORKERS = "workers:down"
QUEUE = "queue:size"
LATE = "generations:late"
YOOKASSA = "yookassa:failures"


def run():
    now = timezone.now()
    parts = []
    with translation.override(settings.LANGUAGE_CODE), alerts.until_telegram_fails():
        for check in (_workers, _queue_size, _past_deadline, _yookassa_failures, _credit_pauses):
            try:
                parts.append(check(now))
            except Exception:  # noqa: BLE001  (one broken check must not silence the others)
                log.exception("watch: %s failed", check.__name__)
                parts.append(f"{check.__name__.strip('_')} failed")
        resent = alerts.send_pending()
    Heartbeat.beat(WATCH)
    if resent:
        parts.append(f"{resent} back messages resent")
    summary = ", ".join(parts)
    log.info("watch: %s", summary)
    return f"watch: {summary}"


def _workers(now):
    """Down: the newest worker heartbeat is older than WORKER_STALE_SECONDS; or, none ever written, a
    schedule has been due that long (a cluster that never started). No heartbeat and no schedule is a
    fresh install: nothing to say."""
    stale = timedelta(seconds=settings.WORKER_STALE_SECONDS)
    last = Heartbeat.objects.exclude(name=WATCH).aggregate(at=Max("at"))["at"]
    if last is None:
        due = Schedule.objects.aggregate(at=Min("next_run"))["at"]
        if due is not None and due < now - stale:
            text = _("Workers have never run: schedules are due since %(at)s UTC and no heartbeat came.")
            _open(WORKERS, text % {"at": _clock(due)}, since=due)
            return "workers never ran"
        _workers_back(now)
        return "workers not started yet" if due is not None else "no workers expected"
    if last < now - stale:
        text = _(
            "Workers are silent: no heartbeat for %(minutes)s min (the last at %(at)s UTC). Generations and "
            "payments are not being processed; check the neurocards-worker units."
        )
        _open(WORKERS, text % {"minutes": _minutes(now - last), "at": _clock(last)}, since=last)
        return "workers silent"
    _workers_back(now)
    return "workers alive"


def _open(key, text, *, since):
    # The incident began at the last heartbeat, not at this run: the "back" message counts from there.
    if alerts.alert_operators(key, text):
        Alert.objects.filter(key=key).update(opened_at=since)


def _workers_back(now):
    opened_at = Alert.objects.filter(key=WORKERS).values_list("opened_at", flat=True).first()
    if opened_at is not None:
        text = _("Workers are back after %(minutes)s min of silence.")
        alerts.recover(WORKERS, text % {"minutes": _minutes(now - opened_at)})


def _queue_size(now):
    count = Generation.objects.filter(status=Status.QUEUED).count()
    values = {"count": count, "limit": settings.ALERT_QUEUE_SIZE}
    if count > settings.ALERT_QUEUE_SIZE:
        alerts.alert_operators(QUEUE, _("Generations queued: %(count)s, over the threshold of %(limit)s.") % values)
    else:
        alerts.recover(QUEUE, _("The queue is back to normal: %(count)s queued.") % values)
    return f"{count} queued"


def _past_deadline(now):
    # The watchdog fails these every minute: many of them means it is not running or not keeping up.
    count = Generation.objects.filter(status__in=[Status.SUBMITTING, Status.PROCESSING], timeout_at__lt=now).count()
    values = {"count": count, "limit": settings.ALERT_STUCK}
    if count > settings.ALERT_STUCK:
        text = _(
            "Generations past their deadline and not yet refunded: %(count)s, over the threshold of %(limit)s. "
            "The watchdog is not keeping up."
        )
        alerts.alert_operators(LATE, text % values)
    else:
        alerts.recover(LATE, _("Generations past their deadline are back to normal: %(count)s.") % values)
    return f"{count} past deadline"


def _yookassa_failures(now):
    count = WebhookEvent.objects.filter(
        provider="yookassa", status=WebhookEvent.Status.FAILED, received_at__gte=now - timedelta(hours=1)
    ).count()
    values = {"count": count, "limit": settings.ALERT_YOOKASSA_FAILURES}
    if count > settings.ALERT_YOOKASSA_FAILURES:
        text = _(
            "YooKassa notifications failed in the last hour: %(count)s, over the threshold of %(limit)s. "
            "See the webhook events in the admin."
        )
        alerts.alert_operators(YOOKASSA, text % values)
    else:
        alerts.recover(
            YOOKASSA, _("YooKassa notifications are back to normal: %(count)s failed in the last hour.") % values
        )
    return f"{count} yookassa failures"


def credit_check_after():
    """How long a pause lasts at least: a worker's KIE keys rest this long after a 402 (per process), and a
    worker submitting while they rest would get that 402 again and pause anew."""
    return timedelta(seconds=settings.KIE_KEY_COOLDOWN_SECONDS + 30)


def _credit_pauses(now):
    """While a provider's account is out of credits: check them every minute, resume when they are back."""
    parts = []
    paused = breaker.billing_paused()
    # An incident left without a pause (opened before pauses existed) would hide the next one's alert. One
    # statement: a pause is committed before its alert, so an alert this DELETE sees has its pause seen too.
    for provider in PROVIDERS:
        pause = ProviderHealth.objects.filter(provider=provider, billing_paused_at__isnull=False)
        Alert.objects.filter(key=f"{provider}:billing").exclude(Exists(pause)).delete()
    for provider, paused_at in paused.items():
        key = f"{provider}:billing"
        credits = None if now - paused_at < credit_check_after() else _credits(provider)
        if credits is None:
            # Still paused: told once; an alert Telegram did not take is sent again now.
            alerts.alert_operators(key, pipeline.billing_alert(provider))
            parts.append(f"{provider} paused")
            continue
        if breaker.resume_billing(provider, paused_at):
            text = _("%(provider)s: credits are back (%(credits)s), submissions resumed, %(count)s in the queue.")
            queued = Generation.objects.filter(status=Status.QUEUED).count()
            alerts.recover(key, text % {"provider": provider.upper(), "credits": _amount(credits), "count": queued})
            log.warning("%s: credits back, submissions resumed", provider)
        parts.append(f"{provider} resumed")
    return ", ".join(parts) or "no provider paused"


def _credits(provider):
    """The account's credits when they are enough to go on, else None. A provider that cannot tell
    (the offline one) is given the benefit of the doubt: its next refusal pauses it again."""
    source = get_provider(provider)
    if not hasattr(source, "credits"):
        return float("inf")
    try:
        credits = float(source.credits())
    except (ProviderError, TypeError, ValueError) as error:
        log.warning("%s credits not read: %s", provider, getattr(error, "error_class", type(error).__name__))
        return None
    return credits if credits > settings.KIE_MIN_CREDITS else None


def _amount(credits):
    return "?" if credits == float("inf") else f"{credits:g}"


def _minutes(delta):
    return max(round(delta.total_seconds() / 60), 1)


def _clock(at):
    return at.astimezone(UTC).strftime("%H:%M")
