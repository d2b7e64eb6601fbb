"""A Stars payment that did not match its invoice is given back at once (billing.stars, the path support's
refunds take too), and the buyer told."""

import logging
from decimal import Decimal

from django.utils import translation

from billing import services, stars
from billing.models import Payment
from botapp import payment_texts
from botapp.turns import Reply
from messaging import sender

log = logging.getLogger(__name__)


def refund_mismatch(payment_id, language):
    """After commit, off the event loop: give back a Stars payment refused as not matching its invoice, and
    say so. Only the step that claimed the refusal schedules this, so it runs once per payment."""
    payment = Payment.objects.select_related("user").get(pk=payment_id)
    paid = Decimal(str(payment.raw.get("total_amount", 0)))
    currency = payment.raw.get("currency", "")
    try:
        stars.refund(payment, amount=paid, reason="paid amount did not match the invoice")
    except sender.SendFailed as error:
        log.error("payment %s: Stars refund of a mismatched payment failed: %s", payment.pk, error)
        services.flag(
            payment=payment, problem=f"{payment.problem}; the automatic refund failed ({error}): refund it in the admin"
        )
        refunded = False
    else:
        log.info("payment %s: mismatched Stars payment refunded", payment.pk)
        refunded = True
    with translation.override(language):
        return [Reply(payment_texts.stars_mismatch(paid, currency, payment.amount, refunded=refunded))]
