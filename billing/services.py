"""Payment state changes: named, keyword-only, transactional. Credits move through billing.ledger.

Crediting happens in the same transaction as the status change, claimed by a conditional UPDATE
(pending → succeeded), and the ledger's unique purchase row per payment backs it up: a webhook
delivered ten times, a reconciliation pass and a Stars redelivery all credit once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import ledger, referrals
from billing.models import CreditTransaction, Payment, Refund

log = logging.getLogger(__name__)
Status = Payment.Status
OPEN = [Status.PENDING, Status.WAITING_FOR_CAPTURE]
# What a late `succeeded` may still credit: the buyer's money was taken whatever we had decided locally
# (expired, canceled as not created). Succeeded and refunded rows were credited before.
CREDITABLE = [*OPEN, Status.CANCELED, Status.EXPIRED]


class PurchaseRefused(Exception):
    def __init__(self, reason, **numbers):
        self.reason, self.numbers = reason, numbers
        super().__init__(f"purchase refused: {reason}")


@dataclass(frozen=True)
class Credited:
    payment: Payment
    credited: bool  # False when this call found it already credited
    balance: int | None


def start_purchase(*, user, pack, method):
    """Our Payment row, first: its id is the provider's idempotency key (or the Stars payload)."""
    if method not in settings.PAYMENT_METHODS:
        raise PurchaseRefused("method")
    if not pack.is_active:
        raise PurchaseRefused("inactive")
    started = Payment.objects.filter(user=user, created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if started >= settings.RATE_LIMIT_TOPUP_PER_HOUR:
        raise PurchaseRefused("hourly", limit=settings.RATE_LIMIT_TOPUP_PER_HOUR)
    stars = method == Payment.Method.STARS
    payment = Payment.objects.create(
        user=user,
        pack=pack,
        method=method,
        credits=pack.credits,
        amount=Decimal(pack.price_stars) if stars else pack.price_rub,
        currency="XTR" if stars else "RUB",
    )
    log.info("payment %s started: user %s, pack %s, %s", payment.pk, user.pk, pack.pk, method)
    return payment


def attach_provider_payment(*, payment, answer):
    """Store the provider's id and the payment page link from its create answer."""
    Payment.objects.filter(pk=payment.pk).update(
        provider_payment_id=answer["id"],
        confirmation_url=(answer.get("confirmation") or {}).get("confirmation_url", ""),
        raw=answer,
        updated_at=timezone.now(),
    )
    payment.refresh_from_db()
    return payment


@transaction.atomic
def credit(*, payment, provider_payment_id=None, answer=None, actor=None, reason=""):
    """Mark the payment succeeded and add its credits, once. Returns Credited.

    `actor` and `reason`: support credited it by hand («Зачислить этот платёж»); the same claim and the same
    ledger key as the webhook's, so whichever comes second credits nothing."""
    changes = {"status": Status.SUCCEEDED, "paid_at": timezone.now(), "updated_at": timezone.now()}
    if provider_payment_id:
        changes["provider_payment_id"] = provider_payment_id
    if answer is not None:
        changes["raw"] = answer
    try:
        with transaction.atomic():
            claimed = Payment.objects.filter(pk=payment.pk, status__in=CREDITABLE).update(**changes)
    except IntegrityError:
        # The provider id belongs to another of our rows: never credit twice for one charge.
        log.error("payment %s: provider id %s already used by another payment", payment.pk, provider_payment_id)
        flag(payment=payment, problem=f"provider payment id {provider_payment_id} is already on another payment")
        return Credited(payment, False, None)
    if not claimed:
        return Credited(payment, False, None)
    posting = ledger.credit_payment(payment=payment, actor=actor, reason=reason)
    if posting.created:
        # Every path that credits a payment comes here: the buyer's referrer earns their share in this transaction.
        referrals.reward_for(payment)
    log.info("payment %s: succeeded, %s credits added (by %s)", payment.pk, payment.credits, actor or "provider")
    payment.refresh_from_db()
    return Credited(payment, posting.created, posting.balance)


def record_charge(*, payment, provider_payment_id):
    """The provider's id of a payment credited without it (by support): stored once, so the charge can be
    found and refunded. False when it is there already or belongs to another row (flagged then)."""
    try:
        with transaction.atomic():
            stored = Payment.objects.filter(pk=payment.pk, provider_payment_id=None).update(
                provider_payment_id=provider_payment_id, updated_at=timezone.now()
            )
    except IntegrityError:
        flag(payment=payment, problem=f"provider payment id {provider_payment_id} is already on another payment")
        return False
    return bool(stored)


def refuse_mismatch(*, payment, provider_payment_id, answer, problem):
    """A payment that doesn't match its invoice is never credited: open → canceled ("mismatch"), flagged,
    with the provider's id recorded. True when this call did it, so the money goes back and the buyer is told
    once: a redelivery finds the row claimed (and the id, unique, is the charge's record)."""
    changes = {
        "status": Status.CANCELED,
        "cancellation_reason": "mismatch",
        "provider_payment_id": provider_payment_id,
        "raw": answer,
        "problem": problem[:2000],
        "updated_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            claimed = Payment.objects.filter(pk=payment.pk, status__in=OPEN).update(**changes)
    except IntegrityError:
        flag(payment=payment, problem=f"{problem}; provider payment id {provider_payment_id} is on another payment")
        return False
    if claimed:
        log.error("payment %s flagged and not credited: %s", payment.pk, problem)
    return bool(claimed)


def cancel(*, payment, reason, answer=None):
    """pending → canceled; True when this call did it (so the user is told once)."""
    claimed = Payment.objects.filter(pk=payment.pk, status__in=OPEN).update(
        status=Status.CANCELED,
        cancellation_reason=(reason or "")[:64],
        raw=answer or payment.raw,
        updated_at=timezone.now(),
    )
    if claimed:
        log.info("payment %s: canceled (%s)", payment.pk, reason)
    return bool(claimed)


def expire(*, payment):
    """pending → expired, for a row YooKassa never had (see reconciliation); a late success still credits it."""
    return bool(
        Payment.objects.filter(pk=payment.pk, status__in=OPEN).update(status=Status.EXPIRED, updated_at=timezone.now())
    )


def expire_stars_invoices(*, now=None):
    """Stars invoices still unpaid STARS_INVOICE_HOURS after they were sent: pending → expired, in one
    UPDATE (safe to repeat). The pre-checkout then refuses them; a `successful_payment` that comes all
    the same still credits (EXPIRED is creditable: Telegram took the Stars). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.STARS_INVOICE_HOURS)
    expired = Payment.objects.filter(method=Payment.Method.STARS, status=Status.PENDING, created_at__lt=cutoff).update(
        status=Status.EXPIRED, updated_at=timezone.now()
    )
    if expired:
        log.info("%s Stars invoices expired unpaid", expired)
    return expired


def resolve(*, payment, by, resolution):
    """Support dealt with a flagged payment («Решено»): recorded once, by a conditional UPDATE. True when
    this call did it."""
    if not (resolution or "").strip():
        raise ValueError("A resolution is required.")
    claimed = (
        Payment.objects.filter(pk=payment.pk, resolved_at=None)
        .exclude(problem="")
        .update(resolved_at=timezone.now(), resolved_by=by, resolution=resolution[:2000], updated_at=timezone.now())
    )
    if claimed:
        log.info("payment %s: resolved by %s", payment.pk, by.pk)
    return bool(claimed)


def mark_checked(*, payment):
    """Reconciliation asked YooKassa about it now (its next question waits longer as the row ages)."""
    Payment.objects.filter(pk=payment.pk).update(checked_at=timezone.now())


def flag(*, payment, problem):
    """Set a problem for support to see; no money moves."""
    log.error("payment %s flagged: %s", payment.pk, problem)
    Payment.objects.filter(pk=payment.pk).update(problem=problem[:2000], updated_at=timezone.now())


@transaction.atomic
def record_refund(*, payment, refund_id, amount, reason=""):
    """A refund of this payment: recorded once, its share of credits taken back as far as unspent.

    Returns the Refund, or None when it was recorded before.
    """
    try:
        with transaction.atomic():
            refund = Refund.objects.create(provider_refund_id=refund_id, payment=payment, amount=amount)
    except IntegrityError:
        return None
    # Locked, so a concurrent credit() (its claim updates this row) lands wholly before or after: credits
    # are taken back only when they were given, never from the buyer's other credits for a payment we refused.
    Payment.objects.select_for_update().filter(pk=payment.pk).values_list("pk").get()
    credited = payment.transactions.filter(kind=CreditTransaction.Kind.PURCHASE).exists()
    share = payment.credits if amount >= payment.amount else int(payment.credits * amount / payment.amount)
    share = share if credited else 0
    if share > 0:
        posting = ledger.debit_payment_refund(
            payment=payment, refund_id=refund_id, credits=share, reason=reason or f"refund {refund_id}"
        )
        taken = sum(-entry.amount for entry in posting.entries)
        Refund.objects.filter(pk=refund.pk).update(credits_debited=taken, shortfall=posting.shortfall)
        if posting.shortfall:
            flag(payment=payment, problem=f"refund {refund_id}: {posting.shortfall} credits were already spent")
    if credited:
        # Any refund of a credited payment undoes the referrer's reward for it (whole, once, as far as unspent).
        referrals.take_back_for(payment)
    if amount >= payment.amount:
        Payment.objects.filter(pk=payment.pk).update(status=Status.REFUNDED, updated_at=timezone.now())
    refund.refresh_from_db()
    log.info("payment %s: refund %s recorded, %s credits taken back", payment.pk, refund_id, refund.credits_debited)
    return refund
