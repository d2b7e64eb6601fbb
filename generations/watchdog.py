"""The watchdog (every minute): deadlines, rows a dead worker left behind, results and orders' closings
Telegram did not take, long waits explained."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone
from django_q.tasks import async_task

from generations import breaker, closing, notify, pipeline
from generations.models import Generation
from generations.providers.base import TEMPORARY, ProviderError
from messaging import alerts
from neurocards.models import Heartbeat

log = logging.getLogger(__name__)
Status = Generation.Status

# Longer than any submit can take (the cluster's task timeout is 120 s): a row still `submitting`
# after this was left by a worker that died.
STALE_SUBMIT = timedelta(minutes=5)
STALE_FINISH = timedelta(minutes=5)
SLOW_VIDEO = timedelta(minutes=5)


def run():
    now = timezone.now()
    counts = {
        "timed_out": _fail_past_deadline(now),
        "stale_submits": _recover_stale_submits(now),
        "finishes_resent": _resend_lost_finishes(now),
        "deliveries_retried": _retry_deliveries(now),
        "closings_retried": _retry_closings(now),
        "slow_told": _explain_slow_videos(now),
        "waits_told": _explain_credit_pause(),
        "dispatched": pipeline.dispatch_due(),
    }
    _alert_on_stuck_queue(now)
    Heartbeat.beat("watchdog")
    summary = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items())
    log.info("watchdog: %s", summary)
    return f"watchdog: {summary}"


def _fail_past_deadline(now):
    late = Generation.objects.filter(status__in=[Status.SUBMITTING, Status.PROCESSING], timeout_at__lt=now)
    return sum(
        pipeline.fail(generation_id=pk, error_class="timeout", message="no result before the deadline")
        for pk in late.values_list("pk", flat=True)
    )


def _recover_stale_submits(now):
    recovered = 0
    for generation in Generation.objects.filter(status=Status.SUBMITTING, updated_at__lt=now - STALE_SUBMIT):
        if generation.create_started_at is None:
            # The worker died before asking the provider: nothing exists there, so it may go again.
            error = ProviderError(TEMPORARY, "the worker stopped while submitting")
            pipeline.retry_or_fail(generation, Status.SUBMITTING, error)
        else:
            # The provider may hold a task we never heard of: fail (and refund) rather than create a second.
            pipeline.fail(
                generation_id=generation.pk,
                error_class="lost",
                message="the worker stopped while the provider was creating the task",
            )
        recovered += 1
    return recovered


def _resend_lost_finishes(now):
    """Hand out again a finish that failed (once its backoff is over) or whose task was lost (lease over).

    Rows from before next_finish_at existed fall back to the old "untouched for 5 minutes" rule.
    """
    due = Q(next_finish_at__lte=now) | Q(next_finish_at__isnull=True, updated_at__lt=now - STALE_FINISH)
    waiting = Generation.objects.filter(due, status=Status.PROCESSING, next_poll_at__isnull=True).exclude(result_url="")
    resent = 0
    for pk, attempt in waiting.values_list("pk", "finish_attempts"):
        # The lease is taken before the hand-out, so the next pass does not queue it again meanwhile.
        leased = Generation.objects.filter(due, pk=pk, status=Status.PROCESSING, finish_attempts=attempt).update(
            next_finish_at=now + pipeline.FINISH_LEASE
        )
        if leased:
            pipeline.hand_out_finish(pk, attempt=attempt)
            resent += 1
    return resent


def _retry_deliveries(now):
    # Claimed here, sent by tasks: a Telegram outage must not hold up the watchdog's other work.
    claimed = notify.claim_due_results(now)
    for pk, lease in claimed:
        async_task("generations.tasks.deliver", pk, lease, task_name=f"deliver-{pk}")
    return len(claimed)


def _retry_closings(now):
    claimed = closing.claim_due(now)
    for order_id, lease in claimed:
        async_task("generations.tasks.deliver_closing", str(order_id), lease, task_name=f"closing-{order_id}")
    return len(claimed)


def _explain_slow_videos(now):
    slow = Generation.objects.filter(
        status=Status.PROCESSING,
        kind=Generation.Kind.VIDEO,
        slow_sent_at__isnull=True,
        submitted_at__lt=now - SLOW_VIDEO,
    )
    told = 0
    for pk in slow.values_list("pk", flat=True):
        try:
            notify.still_working(pk)
            told += 1
        except Exception:  # noqa: BLE001
            log.exception("generation %s: 'still working' not delivered", pk)
    return told


def _explain_credit_pause():
    """While the provider's account is out of credits, each waiting seller hears once that it takes longer."""
    paused = breaker.billing_paused()
    if not paused:
        return 0
    # Queued rows of the paused provider, and those never submitted (their provider is not chosen yet).
    waiting = Generation.objects.filter(
        Q(provider__in=paused) | Q(provider=""), status=Status.QUEUED, slow_sent_at__isnull=True
    )
    told = 0
    for pk in waiting.values_list("pk", flat=True):
        try:
            notify.waiting(pk)
            told += 1
        except Exception:  # noqa: BLE001
            log.exception("generation %s: 'waiting' not delivered", pk)
    return told


def _alert_on_stuck_queue(now):
    oldest = Generation.objects.filter(status=Status.QUEUED).aggregate(oldest=Min("created_at"))["oldest"]
    limit = timedelta(minutes=settings.QUEUE_ALERT_MINUTES)
    if oldest is not None and now - oldest > limit:
        waited = int((now - oldest).total_seconds() // 60)
        alerts.alert_operators("queue:stuck", f"A generation has been queued for {waited} minutes.")
    else:
        alerts.resolve("queue:stuck")
