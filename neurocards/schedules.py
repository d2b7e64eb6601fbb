"""The one place that knows NeuroCards' django-q2 schedules."""

from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.tasks import async_task

from neurocards.lib.leases import held_until

POLLER = "generation-poller"
POLLER_LEASE = "poller"

# name -> (task path, minutes between runs). The cluster looks at schedules about every 30 s.
SCHEDULES = {
    "watchdog": ("generations.tasks.run_watchdog", 1),
    # Runs for ~50 s of each minute, one runner at a time (a lease): in effect a continuous poller.
    POLLER: ("generations.tasks.poll", 1),
    "cleanup": ("ops.tasks.run_cleanup", 60),
    "payment-reconciliation": ("billing.reconciliation.task", 10),
    # The ledger's full scan for /metrics and its alert; KIE credits and webhook delivery errors.
    "ledger-audit": ("ops.monitoring.audit_ledger", 5),
    "service-checks": ("ops.monitoring.check_services", 10),
}


@transaction.atomic
def ensure_schedules():
    """Create or update every schedule; remove ours that are gone from SCHEDULES. Idempotent."""
    created = updated = 0
    for name, (func, minutes) in SCHEDULES.items():
        defaults = {"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1}
        schedule, was_created = Schedule.objects.get_or_create(name=name, defaults=defaults)
        if was_created:
            created += 1
        elif any(getattr(schedule, field) != value for field, value in defaults.items()):
            Schedule.objects.filter(pk=schedule.pk).update(**defaults)
            updated += 1
    # Only schedules that point at this project's apps are ours to remove; others are left alone.
    stale = Schedule.objects.filter(func__regex=r"^(neurocards|accounts|billing|generations|botapp|messaging|ops)\.")
    removed, _ = stale.exclude(name__in=SCHEDULES).delete()
    return created, updated, removed


def poll_at_start(**signal):
    """A worker started (django-q2's post_spawn): start polling now, not at the cluster's first schedule check.

    The cluster looks at schedules first 30 s after it starts, so a fresh or restarted cluster polled
    nothing for 30 s. The schedule is pulled to now as well, so its next run follows this one by its period.
    Each worker of a cluster does this: the second runner finds the lease taken and returns at once.
    """
    if Conf.SYNC:
        return  # tasks run inline (tests): nothing spawned, and each task would start a poller
    now = timezone.now()
    until = held_until(POLLER_LEASE)
    if until is None:
        Schedule.objects.filter(name=POLLER, next_run__gt=now).update(next_run=now)
        async_task(SCHEDULES[POLLER][0], task_name="poller-at-start")
    elif Schedule.objects.filter(name=POLLER).exclude(next_run=until).update(next_run=until):
        # Held, maybe by this machine's killed cluster, whose lease lapses unrenewed: one runner waits for
        # it and takes over then, not at the first schedule check. One: the workers read the same `until`,
        # so only the first moves the schedule (and should the runner be lost, the schedule runs then).
        async_task(SCHEDULES[POLLER][0], wait=(until - now).total_seconds() + 1, task_name="poller-at-start")
