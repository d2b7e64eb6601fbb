"""The one place that knows NeuroCards' django-q2 schedules."""

from django.db import transaction
from django_q.models import Schedule

# name -> (task path, minutes between runs). The cluster looks at schedules about every 30 s.
SCHEDULES = {
    "watchdog": ("generations.tasks.run_watchdog", 1),
    # Runs for ~50 s of each minute, one runner at a time (a lease): in effect a continuous poller.
    "generation-poller": ("generations.tasks.poll", 1),
    "cleanup": ("generations.tasks.run_cleanup", 60),
    "payment-reconciliation": ("billing.reconciliation.task", 10),
    # The ledger's full scan for /metrics and its alert; KIE credits and webhook delivery errors.
    "ledger-audit": ("neurocards.monitoring.audit_ledger", 5),
    "service-checks": ("neurocards.monitoring.check_services", 10),
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
    stale = Schedule.objects.filter(func__regex=r"^(neurocards|accounts|billing|generations|botapp)\.")
    removed, _ = stale.exclude(name__in=SCHEDULES).delete()
    return created, updated, removed
