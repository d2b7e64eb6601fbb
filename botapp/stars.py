"""Stars given back through Telegram (`refundStarPayment`): by support in the admin, and at once for a
payment that did not match its invoice. One path, so both record the refund the same way, once."""

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import translation

from billing import services
from billing.models import Payment
from botapp import payment_texts, sender
from botapp.turns import Reply

log = logging.getLogger(__name__)


def refund(payment, *, amount, reason):
    """Give the charge back, then record it once under its charge id (credits taken back only if they were
    given). Returns the Refund, or None when it was recorded before; raises sender.SendFailed when Telegram
    did not refund. Makes a network call: never run it under a row lock."""
    charge = payment.provider_payment_id
    try:
        sender.api("refundStarPayment", {"user_id": payment.user.telegram_id, "telegram_payment_charge_id": charge})
    except sender.SendFailed as error:
        # Refunded before, by an earlier try whose answer or record was lost: recording it is what is left.
        if "CHARGE_ALREADY_REFUNDED" not in str(error):
            raise
    with transaction.atomic():
        return services.record_refund(payment=payment, refund_id=f"stars:{charge}", amount=amount, reason=reason)


def refund_mismatch(payment_id, language):
    """After commit, off the event loop: give back a Stars payment refused as not matching its invoice, and
    say so. Only the step that claimed the refusal schedules this, so it runs once per payment."""
    payment = Payment.objects.select_related("user").get(pk=payment_id)
    paid = Decimal(str(payment.raw.get("total_amount", 0)))
    currency = payment.raw.get("currency", "")
    try:
        refund(payment, amount=paid, reason="paid amount did not match the invoice")
    except sender.SendFailed as error:
        log.error("payment %s: Stars refund of a mismatched payment failed: %s", payment.pk, error)
        services.flag(payment=payment, problem=f"{payment.problem}; the automatic refund failed ({error}): "
                                               f"refund it in the admin")
        refunded = False
    else:
        log.info("payment %s: mismatched Stars payment refunded", payment.pk)
        refunded = True
    with translation.override(language):
        return [Reply(payment_texts.stars_mismatch(paid, currency, payment.amount, refunded=refunded))]
