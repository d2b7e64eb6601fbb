"""Messages about payments (credited, canceled), each sent once.

A message is claimed by setting its marker on the Payment row with a conditional UPDATE (NULL → now): a
duplicate task or a second worker finds it set and sends nothing. A user who blocked the bot is skipped;
when Telegram stays unreachable the marker is released so a redelivery of the task may send it.
"""

import logging

from django.utils import timezone, translation

from billing.models import Payment
from messaging import sender, texts

log = logging.getLogger(__name__)


def payment_credited(payment_id):
    payment_once(
        payment_id,
        "credited_sent_at",
        lambda p: sender.send_message(p.user.telegram_id, texts.payment_credited(p, p.user.balance)),
    )


def payment_canceled(payment_id):
    payment_once(payment_id, "canceled_sent_at", _send_canceled)


def _send_canceled(payment):
    # "not created" was never the buyer's to pay: the checkout task said so with the link's apology.
    if payment.cancellation_reason != "not created":
        sender.send_message(payment.user.telegram_id, texts.payment_canceled(payment.cancellation_reason))


def payment_once(payment_id, marker, send):
    """`send(payment)` once per payment and marker, as generations.notify does for generations."""
    now = timezone.now()
    claimed = Payment.objects.filter(pk=payment_id, **{f"{marker}__isnull": True}).update(**{marker: now})
    if not claimed:
        log.info("payment %s: %s already sent", payment_id, marker)
        return False
    payment = Payment.objects.select_related("pack", "user").get(pk=payment_id)
    if payment.user.bot_blocked_at:
        log.info("payment %s: %s not sent, the user blocked the bot", payment_id, marker)
        return False
    try:
        with translation.override(payment.user.language):
            send(payment)
    except sender.SendFailed:
        # Given back, so that a redelivery of the task may send it.
        Payment.objects.filter(pk=payment_id, **{marker: now}).update(**{marker: None})
        raise
    log.info("payment %s: %s sent", payment_id, marker)
    return True
