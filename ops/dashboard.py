"""The figures on the admin's front page: the queue, recent failures, each model's last 24 h, revenue, open and
flagged payments, schedules, and growth per campaign and referrer (the last 30 days). Every figure carries the
address of the admin list behind it, filtered to the rows it counts."""

from datetime import timedelta
from typing import NamedTuple
from urllib.parse import urlencode

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TelegramUser
from billing.models import Payment
from generations import video_models
from generations.admin_columns import model_label
from generations.models import ErrorClass, Generation
from neurocards.models import Heartbeat
from ops import stats

Status = Generation.Status
IN_FLIGHT = [Status.SUBMITTING, Status.PROCESSING]
UNITS = {Payment.Method.YOOKASSA: "₽", Payment.Method.STARS: "Stars"}
# The watchdog runs every minute and the poller more often: a beat older than this means they stopped.
STALE = timedelta(minutes=5)
HEARTBEATS = {"watchdog": _("watchdog"), "poller": _("result poller")}
GROWTH_DAYS = 30


class Figure(NamedTuple):
    value: object
    url: str


def figures(user, now=None):
    """What this staff member may see of the service right now; sections they have no view permission for
    are left out."""
    now = now or timezone.now()
    shown = {}
    if user.has_perm("generations.view_generation"):
        shown.update(_generations(now))
    if user.has_perm("billing.view_payment"):
        shown.update(_payments(now))
        # Revenue per campaign and referrer: for those who may see both the payments and the users.
        if user.has_perm("accounts.view_telegramuser"):
            shown.update(_growth(now))
    beats = dict(Heartbeat.objects.filter(name__in=HEARTBEATS).values_list("name", "at"))
    shown["heartbeats"] = [
        (label, beats.get(name), beats.get(name) is None or now - beats[name] > STALE)
        for name, label in HEARTBEATS.items()
    ]
    return shown


def _list(model, /, **filters):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}"


def _generations(now):
    counts = Generation.objects.filter(status__in=Generation.ACTIVE).aggregate(
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        in_flight=Count("pk", filter=Q(status__in=IN_FLIGHT)),
        # As the watchdog sees them (generations/watchdog.py): in flight past the deadline.
        overdue=Count("pk", filter=Q(status__in=IN_FLIGHT, timeout_at__lt=now)),
    )
    since = (now - timedelta(hours=24)).replace(microsecond=0)
    failed = (
        Generation.objects.filter(status=Status.FAILED, finished_at__gte=since)
        .values_list("error_class")
        .annotate(n=Count("pk"))
        .order_by("-n", "error_class")
    )
    return {
        "queued": Figure(counts["queued"], _list(Generation, status__exact=Status.QUEUED)),
        "in_flight": Figure(counts["in_flight"], _list(Generation, status__in=",".join(IN_FLIGHT))),
        "overdue": Figure(counts["overdue"], _list(Generation, overdue=1)),
        "failed": [
            (
                _class_label(error_class),
                Figure(
                    n,
                    _list(
                        Generation,
                        status__exact=Status.FAILED,
                        error_class__exact=error_class or "",
                        finished_at__gte=since.isoformat(),
                    ),
                ),
            )
            for error_class, n in failed
        ],
        "models": _models(since),
    }


def _models(since):
    """Per model, of the orders placed since then: made (completed), failed, and made instead of the model the
    seller ordered (taken over); every enabled video model, and any other that has such orders."""
    rows = {
        model: (made, failed, taken_over)
        for model, made, failed, taken_over in Generation.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("model")
        .annotate(
            made=Count("pk", filter=Q(status=Status.COMPLETED)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            taken_over=Count("pk", filter=~Q(ordered_model="") & ~Q(model=F("ordered_model"))),
        )
    }
    keys = dict.fromkeys([*(model.key for model in video_models.enabled()), *sorted(key for key in rows if key)])
    placed = {"created_at__gte": since.isoformat()}
    return [
        (
            model_label(key),
            Figure(made, _list(Generation, model=key, status__exact=Status.COMPLETED, **placed)),
            Figure(failed, _list(Generation, model=key, status__exact=Status.FAILED, **placed)),
            Figure(taken_over, _list(Generation, model=key, taken_over=1, **placed)),
        )
        for key in keys
        for made, failed, taken_over in [rows.get(key, (0, 0, 0))]
    ]


def _class_label(error_class):
    if error_class in ErrorClass.values:
        return ErrorClass(error_class).label
    return error_class or _("unclassified")


def _payments(now):
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    sums = (
        Payment.objects.filter(status=Payment.Status.SUCCEEDED, paid_at__gte=week)
        .values_list("method")
        .annotate(today=Sum("amount", filter=Q(paid_at__gte=today)), week=Sum("amount"))
        .order_by("method")
    )
    succeeded = {"status__exact": Payment.Status.SUCCEEDED}
    revenue = [
        (
            Payment.Method(method).label,
            UNITS.get(method, ""),
            Figure(today_sum or 0, _list(Payment, **succeeded, method__exact=method, paid_at__gte=today.isoformat())),
            Figure(week_sum, _list(Payment, **succeeded, method__exact=method, paid_at__gte=week.isoformat())),
        )
        for method, today_sum, week_sum in sums
    ]
    awaiting = (
        Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.WAITING_FOR_CAPTURE])
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    # Stars invoices nobody paid expire (STARS_INVOICE_HOURS): a seller changing their mind, not a problem.
    abandoned = {"status__exact": Payment.Status.EXPIRED, "method__exact": Payment.Method.STARS}
    return {
        "revenue": revenue,
        "awaiting": [
            (Payment.Status(status).label, Figure(n, _list(Payment, status__exact=status))) for status, n in awaiting
        ],
        "flagged": Figure(Payment.objects.flagged().count(), _list(Payment, flagged="open")),
        "abandoned": Figure(
            Payment.objects.filter(
                status=Payment.Status.EXPIRED, method=Payment.Method.STARS, created_at__gte=week
            ).count(),
            _list(Payment, **abandoned, created_at__gte=week.isoformat()),
        ),
    }


def _growth(now):
    """Per campaign and per referrer (top 10) over GROWTH_DAYS: new users (linked to them in the users list),
    paying users and revenue, ₽ and Stars apart."""
    since = (now - timedelta(days=GROWTH_DAYS)).replace(microsecond=0)
    rows = stats.growth(since, campaigns=20, referrers=10)
    arrived = {"created_at__gte": since.isoformat()}

    def shown(row, **filters):
        return {
            "new": Figure(row["new"], _list(TelegramUser, **filters, **arrived)),
            "paying": row["paying"],
            "roubles": row["revenue"].get("RUB", 0),
            "stars": row["revenue"].get("XTR", 0),
        }

    return {
        "growth_days": GROWTH_DAYS,
        "campaigns": [(row["name"], shown(row, campaign__exact=row["name"])) for row in rows["campaigns"]],
        "referrers": [
            (row["name"], _change(row["name"]), shown(row, referred_by__id__exact=row["name"].pk))
            for row in rows["referrers"]
        ],
    }


def _change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
