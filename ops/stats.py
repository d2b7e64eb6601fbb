"""The operator's summary, read from the database: one aggregate per table, never a loop over rows.

`collect()` returns plain data (ints, Decimals, seconds as floats) for `manage.py stats`, the admin or
metrics alike. Windowed figures count rows created in the last `days` days; queue, in flight, users
and the ledger check are as of now.

Growth (`growth()`, also the dashboard's) counts, per campaign and per referrer, what happened in the window:
users who arrived in it, users who paid in it (a succeeded payment, paid_at in the window) and what those
payments brought, in roubles and Stars apart. A refunded payment no longer counts, as in the revenue.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from accounts.models import TelegramUser
from billing.ledger import find_mismatches
from billing.models import CreditTransaction, Payment
from generations import video_models
from generations.models import Generation

Kind = CreditTransaction.Kind
# What payments are made in: YooKassa's roubles and Telegram Stars.
CURRENCIES = ("RUB", "XTR")
MODEL_COUNTS = ("generations", "completed", "failed", "refunded", "taken_over", "charged", "credits_refunded")


def collect(*, days=7, now=None):
    now = now or timezone.now()
    since = now - timedelta(days=days)
    return {
        "days": days,
        "since": since,
        "users": _users(since),
        "generations": _generations(since),
        "by_model": by_model(since),
        "payments": _payments(since),
        "credits": _credits(since),
        "growth": growth(since),
        "ledger_mismatches": [
            {"user_id": user.pk, "telegram_id": user.telegram_id, "balance": balance, "ledger": total}
            for user, balance, total in find_mismatches()
        ],
    }


def _users(since):
    return TelegramUser.objects.aggregate(
        total=Count("pk"),
        new=Count("pk", filter=Q(created_at__gte=since)),
        active=Count("pk", filter=Q(last_activity_at__gte=since)),
        blocked_bot=Count("pk", filter=Q(bot_blocked_at__isnull=False)),
        blocked_by_staff=Count("pk", filter=Q(is_blocked=True)),
    )


def _generations(since):
    by_status, by_error, total = defaultdict(int), defaultdict(int), 0
    rows = (
        Generation.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("status", "error_class")
        .annotate(n=Count("pk"))
    )
    for status, error_class, n in rows:
        total += n
        by_status[status] += n
        if error_class:
            by_error[error_class] += n
    now = Generation.objects.aggregate(
        queued=Count("pk", filter=Q(status=Generation.Status.QUEUED)),
        in_flight=Count("pk", filter=Q(status__in=[Generation.Status.SUBMITTING, Generation.Status.PROCESSING])),
    )
    # From the user's Confirm to the result: what they waited, retries included.
    waited = ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())
    durations = (
        Generation.objects.filter(created_at__gte=since, status=Generation.Status.COMPLETED, finished_at__isnull=False)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"), average=Avg(waited))
    )
    return {
        "total": total,
        "by_status": dict(by_status),
        "by_error": dict(by_error),
        "queued": now["queued"],
        "in_flight": now["in_flight"],
        "completed_in": {kind: {"count": n, "average_seconds": _seconds(average)} for kind, n, average in durations},
    }


def by_model(since):
    """{model key: figures} of the generations created since then, by the model that made them: how many,
    completed, failed, refunded (a refund in the ledger), taken over (made instead of the model ordered),
    credits charged and refunded, and the average time from the order to the result of the completed ones.
    Every enabled video model appears; the busiest first."""
    waited = ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())
    completed = Q(status=Generation.Status.COMPLETED)
    rows = (
        Generation.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("model")
        .annotate(
            n=Count("pk"),
            completed=Count("pk", filter=completed),
            failed=Count("pk", filter=Q(status=Generation.Status.FAILED)),
            taken_over=Count("pk", filter=~Q(ordered_model="") & ~Q(model=F("ordered_model"))),
            average=Avg(waited, filter=completed & Q(finished_at__isnull=False)),
        )
    )
    figures = defaultdict(lambda: dict.fromkeys(MODEL_COUNTS, 0) | {"average_seconds": None})
    for model, n, done, failed, taken_over, average in rows:
        figures[model].update(
            generations=n, completed=done, failed=failed, taken_over=taken_over, average_seconds=_seconds(average)
        )
    # A generation is charged once and refunded at most once (billing.ledger); counted from its ledger rows.
    money = (
        CreditTransaction.objects.filter(
            generation__created_at__gte=since, kind__in=[Kind.GENERATION_CHARGE, Kind.GENERATION_REFUND]
        )
        .order_by()
        .values_list("generation__model", "kind")
        .annotate(n=Count("generation", distinct=True), total=Sum("amount"))
    )
    for model, kind, n, total in money:
        if kind == Kind.GENERATION_CHARGE:
            figures[model]["charged"] = -total
        else:
            figures[model].update(refunded=n, credits_refunded=total)
    shown = {model.key: figures[model.key] for model in video_models.enabled()} | figures
    return dict(sorted(shown.items(), key=lambda item: (-item[1]["generations"], item[0])))


def _payments(since):
    rows = (
        Payment.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("method", "status", "currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )
    by_method, revenue = defaultdict(dict), defaultdict(Decimal)
    for method, status, currency, n, amount in rows:
        by_method[method][status] = {"count": n, "amount": amount, "currency": currency}
        if status == Payment.Status.SUCCEEDED:
            revenue[currency] += amount
    return {"by_method": dict(by_method), "revenue": dict(revenue)}


def _credits(since):
    sums = dict(
        CreditTransaction.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("kind")
        .annotate(total=Sum("amount"))
    )
    return {
        "sold": sums.get(Kind.PURCHASE, 0),
        "spent": -sums.get(Kind.GENERATION_CHARGE, 0),
        "refunded": sums.get(Kind.GENERATION_REFUND, 0),
        "granted": sums.get(Kind.MANUAL_GRANT, 0),
        "revoked": -sums.get(Kind.MANUAL_REVOKE, 0),
        "taken_back_by_payment_refunds": -sums.get(Kind.PAYMENT_REFUND, 0),
        "referral_welcome": sums.get(Kind.REFERRAL_WELCOME, 0),
        "referral_rewards": sums.get(Kind.REFERRAL_REWARD, 0),
        "referral_rewards_taken_back": -sums.get(Kind.REFERRAL_REWARD_TAKEN_BACK, 0),
        "promo": sums.get(Kind.PROMO, 0),
    }


def growth(since, *, campaigns=50, referrers=10):
    """{"campaigns": [row], "referrers": [row]}, the busiest first (most new users, then paying), cut to the
    given numbers. A row is {"name", "new", "paying", "revenue": {currency: amount}}; the name is the campaign,
    or the referrer's TelegramUser, found in one query."""
    by_referrer = _growth_rows("referred_by", since, TelegramUser.objects.filter(referred_by__isnull=False))
    by_referrer = by_referrer[:referrers]
    found = TelegramUser.objects.in_bulk([row["name"] for row in by_referrer])
    return {
        "campaigns": _growth_rows("campaign", since, TelegramUser.objects.exclude(campaign=""))[:campaigns],
        "referrers": [{**row, "name": found[row["name"]]} for row in by_referrer if row["name"] in found],
    }


def _growth_rows(field, since, users):
    rows = defaultdict(lambda: {"new": 0, "paying": 0, "revenue": {}})
    arrived = users.filter(created_at__gte=since).order_by().values_list(field).annotate(n=Count("pk"))
    for name, n in arrived:
        rows[name]["new"] = n
    paid = Payment.objects.filter(
        status=Payment.Status.SUCCEEDED, paid_at__gte=since, user__in=users.order_by().values("pk")
    ).order_by()
    sums = {currency.lower(): Sum("amount", filter=Q(currency=currency)) for currency in CURRENCIES}
    for name, paying, *amounts in paid.values_list(f"user__{field}").annotate(n=Count("user", distinct=True), **sums):
        rows[name]["paying"] = paying
        revenue = zip(CURRENCIES, amounts, strict=True)
        rows[name]["revenue"] = {currency: amount for currency, amount in revenue if amount}
    ordered = sorted(rows.items(), key=lambda item: (-item[1]["new"], -item[1]["paying"], str(item[0])))
    return [{"name": name, **row} for name, row in ordered]


def _seconds(duration):
    # PostgreSQL averages an interval into a timedelta; SQLite's backend hands back microseconds.
    if duration is None:
        return None
    return duration.total_seconds() if isinstance(duration, timedelta) else duration / 1_000_000
