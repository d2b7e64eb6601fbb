"""The figures on the admin's front page: the queue, recent failures, revenue, open payments, schedules."""

from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from billing.models import Payment
from generations.models import Generation
from neurocards.models import Heartbeat

Status = Generation.Status
UNITS = {Payment.Method.YOOKASSA: "₽", Payment.Method.STARS: "Stars"}
# The watchdog runs every minute and the poller more often: a beat older than this means they stopped.
STALE = timedelta(minutes=5)


def figures(user, now=None):
    """What this staff member may see of the service right now; sections they have no view permission for
    are left out."""
    now = now or timezone.now()
    shown = {}
    if user.has_perm("generations.view_generation"):
        shown.update(_generations(now))
    if user.has_perm("billing.view_payment"):
        shown.update(_payments(now))
    shown["heartbeats"] = [(name, at, at is None or now - at > STALE) for name, at in _heartbeats().items()]
    return shown


def _generations(now):
    counts = Generation.objects.filter(status__in=Generation.ACTIVE).aggregate(
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        in_flight=Count("pk", filter=Q(status__in=[Status.SUBMITTING, Status.PROCESSING])),
    )
    failed = (
        Generation.objects.filter(status=Status.FAILED, finished_at__gte=now - timedelta(hours=24))
        .values_list("error_class")
        .annotate(n=Count("pk"))
        .order_by("-n", "error_class")
    )
    return {**counts, "failed": [(error_class or "unclassified", n) for error_class, n in failed]}


def _payments(now):
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    sums = (
        Payment.objects.filter(status=Payment.Status.SUCCEEDED, paid_at__gte=week)
        .values_list("method")
        .annotate(today=Sum("amount", filter=Q(paid_at__gte=today)), week=Sum("amount"))
        .order_by("method")
    )
    revenue = [
        (Payment.Method(method).label, UNITS.get(method, ""), today_sum or 0, week_sum)
        for method, today_sum, week_sum in sums
    ]
    awaiting = (
        Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.WAITING_FOR_CAPTURE])
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    return {"revenue": revenue, "awaiting": [(Payment.Status(status).label, n) for status, n in awaiting]}


def _heartbeats():
    beats = dict(Heartbeat.objects.filter(name__in=["watchdog", "poller"]).values_list("name", "at"))
    return {name: beats.get(name) for name in ("watchdog", "poller")}
