"""Stars given back through Telegram (`refundStarPayment`): by support in the admin, and at once for a
payment that did not match its invoice (botapp.stars). One path, so both record the refund the same way, once."""

from django.db import transaction

from billing import services
from messaging import sender


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
