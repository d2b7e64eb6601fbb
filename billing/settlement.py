"""What a YooKassa answer means for our payment: the one path for webhooks, reconciliation and support.

Only the API's own answer counts (a notification body is never trusted): `succeeded` and `paid`, the
amount and currency of our row, and metadata pointing at our row; anything else credits nothing.
"""

import logging
import uuid

from django.db import transaction
from django_q.tasks import async_task

from billing import services, yookassa
from billing.models import Payment

log = logging.getLogger(__name__)


def settle(*, payment, answer, actor=None, reason=""):
    """Apply YooKassa's answer about `payment`; returns what happened, in a word or two. `actor` and `reason`
    when support asked for it to be credited (the ledger row records them)."""
    if (answer.get("metadata") or {}).get("payment_id") != str(payment.pk):
        services.flag(payment=payment, problem=f"YooKassa payment {answer.get('id')} does not point to this row")
        return "mismatch"
    status = answer.get("status")
    if status == "succeeded" and answer.get("paid"):
        value, currency = yookassa.amount_of(answer)
        if value != payment.amount or currency != payment.currency:
            services.flag(
                payment=payment,
                problem=f"paid {value} {currency}, expected {payment.amount} {payment.currency}: not credited",
            )
            return "mismatch"
        result = services.credit(
            payment=payment, provider_payment_id=answer.get("id"), answer=answer, actor=actor, reason=reason
        )
        if not result.credited:
            return "already credited"
        transaction.on_commit(lambda: _tell("payment_credited", payment.pk))
        return "credited"
    if status == "canceled":
        reason = (answer.get("cancellation_details") or {}).get("reason", "")
        if services.cancel(payment=payment, reason=reason, answer=answer):
            transaction.on_commit(lambda: _tell("payment_canceled", payment.pk))
            return "canceled"
        return "already canceled"
    return "pending"


def credit_by_staff(*, payment, actor, reason):
    """Support credits a payment nobody can be asked about (Stars: Telegram tells, it can't be asked) through
    the claim and ledger key every other path uses, so a late `successful_payment` adds nothing more; the
    buyer gets the one "payment received" message. YooKassa payments go through `settle` with YooKassa's
    answer instead."""
    result = services.credit(payment=payment, actor=actor, reason=reason)
    if not result.credited:
        return "already credited"
    transaction.on_commit(lambda: _tell("payment_credited", payment.pk))
    return "credited"


def handle_notification(event, object_id):
    """A notification names an object; its state is re-fetched from the API and settled."""
    if event.startswith("payment."):
        answer = yookassa.fetch_payment(object_id)
        payment = find_payment(answer)
        if payment is None:
            return "ignored: not our payment"
        return settle(payment=payment, answer=answer)
    if event == "refund.succeeded":
        refund = yookassa.fetch_refund(object_id)
        if refund.get("status") != "succeeded":
            return "ignored: refund not succeeded"
        payment = Payment.objects.filter(provider_payment_id=refund.get("payment_id")).first()
        if payment is None:
            return "ignored: not our payment"
        value, _ = yookassa.amount_of(refund)
        recorded = services.record_refund(payment=payment, refund_id=refund["id"], amount=value)
        return "refund recorded" if recorded else "refund already recorded"
    return f"ignored: {event}"


def find_payment(answer):
    """Our row for a YooKassa payment: by the id in its metadata, or by the provider id we stored."""
    our_id = (answer.get("metadata") or {}).get("payment_id", "")
    try:
        by_metadata = Payment.objects.filter(pk=uuid.UUID(our_id)).first()
    except ValueError:
        by_metadata = None
    return by_metadata or Payment.objects.filter(provider_payment_id=answer.get("id")).first()


def _tell(what, payment_id):
    """Hand the buyer's message to a worker: a notification's answer must not wait on Telegram and its
    retries (the task claims the message on the row, so a redelivery sends it once)."""
    try:
        async_task(f"billing.tasks.{what}", payment_id, task_name=f"{what}-{payment_id}")
    except Exception:  # noqa: BLE001  (the money is settled; a lost message is logged, not retried)
        log.exception("payment %s: %s message not queued", payment_id, what)
