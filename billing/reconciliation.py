"""Reconciliation: YooKassa payments still open are re-checked, in case a notification never came.

Only YooKassa's answer settles a payment: an old open row is asked about like a young one (a buyer may
pay late, and a notification lost for good leaves only us to ask), just less and less often.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from billing import services, settlement, yookassa
from billing.models import Payment

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)  # YooKassa retries a notification for 24 h; within it, every pass asks
# Past the window a row is asked again after a 24th of its age (hourly at a day old, daily from 24 days):
# YooKassa cancels an unpaid payment itself in the end, and that answer closes the row.
BACKOFF_SHARE = 24
MAX_INTERVAL = timedelta(days=1)


def run():
    """One pass; returns {outcome: count}."""
    now = timezone.now()
    open_payments = Payment.objects.filter(method=Payment.Method.YOOKASSA, status__in=services.OPEN)
    counts = Counter()
    # Stars are not asked about (Telegram tells us when it takes them): an old unpaid invoice only expires.
    if expired := services.expire_stars_invoices(now=now):
        counts["stars expired"] = expired
    # No provider id: creating it at YooKassa never came back to us, so no buyer was ever sent a link to pay
    # by and there is nothing YooKassa could still settle. Closed here, past the window, without asking.
    for payment in open_payments.filter(provider_payment_id=None, created_at__lt=now - WINDOW):
        if services.expire(payment=payment):
            counts["expired"] += 1
    for payment in open_payments.exclude(provider_payment_id=None).order_by("created_at"):
        if not _due(payment, now):
            continue
        try:
            outcome = settlement.settle(payment=payment, answer=yookassa.fetch_payment(payment.provider_payment_id))
        except (yookassa.ResultUnknown, yookassa.Refused) as error:
            log.warning("payment %s: reconciliation could not reach YooKassa: %s", payment.pk, error)
            outcome = "unreachable"
        services.mark_checked(payment=payment)
        counts[outcome] += 1
    log.info("reconciliation: %s", dict(counts))
    return dict(counts)


def _due(payment, now):
    age = now - payment.created_at
    if age < WINDOW or payment.checked_at is None:
        return True
    return now - payment.checked_at >= min(age / BACKOFF_SHARE, MAX_INTERVAL)


def task():
    return run()
