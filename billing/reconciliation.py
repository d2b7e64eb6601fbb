"""Reconciliation: YooKassa payments still open are re-checked, in case a notification never came."""

import logging
from datetime import timedelta

from django.utils import timezone

from billing import services, settlement, yookassa
from billing.models import Payment

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)  # YooKassa keeps retrying notifications for 24 h; past that it's expired


def run():
    """One pass; returns {outcome: count}."""
    now = timezone.now()
    open_payments = Payment.objects.filter(method=Payment.Method.YOOKASSA, status__in=services.OPEN)
    counts = {}
    for payment in open_payments.filter(created_at__lt=now - WINDOW):
        if services.expire(payment=payment):
            counts["expired"] = counts.get("expired", 0) + 1
    for payment in open_payments.filter(created_at__gte=now - WINDOW).exclude(provider_payment_id=None):
        try:
            outcome = settlement.settle(payment=payment, answer=yookassa.fetch_payment(payment.provider_payment_id))
        except (yookassa.ResultUnknown, yookassa.Refused) as error:
            log.warning("payment %s: reconciliation could not reach YooKassa: %s", payment.pk, error)
            outcome = "unreachable"
        counts[outcome] = counts.get(outcome, 0) + 1
    log.info("reconciliation: %s", counts)
    return counts


def task():
    return run()
