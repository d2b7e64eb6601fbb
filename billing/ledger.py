"""The only code that changes a balance.

Every function here is keyword-only and transactional: the balance moves by arithmetic inside a
conditional UPDATE (so it can't go below zero, and the CHECK constraint backs that up) and the ledger
rows are written in the same transaction. Each posting carries an idempotency key under a unique
constraint: a second call with the same key changes nothing and returns `created=False`.

The user's row is the lock: every posting updates it first, so postings of one user are serialised
by the database, across threads and processes, and postings of different users never wait.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import TelegramUser
from billing.models import CreditTransaction

Kind = CreditTransaction.Kind
# The balance and ledger columns are 64-bit; the conditional UPDATE keeps a balance inside them on every
# database (SQLite would otherwise turn an overflowing integer into a float).
MAX_BALANCE = 2**63 - 1
# The most a staff member grants or revokes at once (admin form, commands): far past any real need, yet a
# typed-in 10**20 or a pasted phone number is a clear refusal rather than an error deep in the database.
MAX_MANUAL_AMOUNT = 2_000_000_000


class LedgerError(Exception):
    """A posting that can't be made; nothing was written."""


class InsufficientCredits(LedgerError):
    def __init__(self, *, needed, balance):
        self.needed, self.balance = needed, balance
        super().__init__(f"Not enough credits: {needed} needed, {balance} available.")


class UnknownUser(LedgerError):
    pass


class InvalidAmount(LedgerError):
    pass


class BalanceTooLarge(LedgerError):
    def __init__(self, *, adding, balance):
        self.adding, self.balance = adding, balance
        super().__init__(f"The balance can't hold {adding} more credits: it is {balance} already.")


class NotCharged(LedgerError):
    pass


@dataclass(frozen=True)
class Posting:
    entries: list
    created: bool
    # For payment refunds: credits that could not be taken back because they were already spent.
    shortfall: int = 0
    balance: int | None = field(default=None)


@dataclass(frozen=True)
class _Line:
    amount: int
    kind: str
    key: str
    generation_id: int | None = None
    payment_id: object = None
    actor: object = None
    reason: str = ""


def charge_generations(*, generations):
    """Charge each generation its cost, all or nothing, one ledger row per generation."""
    generations = list(generations)
    if not generations:
        raise InvalidAmount("Nothing to charge: no generations given.")
    user_ids = {g.user_id for g in generations}
    if len(user_ids) != 1:
        raise LedgerError("Generations of several users can't be charged together.")
    lines = []
    for generation in generations:
        if generation.pk is None:
            raise LedgerError("A generation must be saved before it is charged.")
        _require_positive(generation.cost)
        lines.append(
            _Line(
                -generation.cost,
                Kind.GENERATION_CHARGE,
                f"generation-charge:{generation.pk}",
                generation_id=generation.pk,
            )
        )
    return _post(user_id=user_ids.pop(), lines=lines)


def refund_generation(*, generation, reason="", actor=None):
    """Give back exactly what the generation was charged, at most once."""
    charge = (
        CreditTransaction.objects.filter(generation_id=generation.pk, kind=Kind.GENERATION_CHARGE)
        .only("amount", "user_id")
        .first()
    )
    if charge is None:
        raise NotCharged(f"Generation #{generation.pk} was never charged: there is nothing to refund.")
    line = _Line(
        -charge.amount,
        Kind.GENERATION_REFUND,
        f"generation-refund:{generation.pk}",
        generation_id=generation.pk,
        actor=actor,
        reason=reason,
    )
    return _post(user_id=charge.user_id, lines=[line])


def credit_payment(*, payment, actor=None, reason=""):
    """Add a paid payment's credits, at most once per payment: the webhook, reconciliation, a Stars
    `successful_payment` and support's «Зачислить» all post this one key (`actor` and `reason` for support)."""
    _require_positive(payment.credits)
    line = _Line(
        payment.credits, Kind.PURCHASE, f"payment:{payment.pk}", payment_id=payment.pk, actor=actor, reason=reason
    )
    return _post(user_id=payment.user_id, lines=[line])


def grant_credits(*, user, amount, actor, reason, key):
    """A staff grant. `key` makes a resubmitted form or a repeated command a no-op."""
    _require_positive(amount)
    _require_reason(reason)
    line = _Line(amount, Kind.MANUAL_GRANT, f"grant:{key}", actor=actor, reason=reason)
    return _post(user_id=user.pk, lines=[line])


def revoke_credits(*, user, amount, actor, reason, key):
    """A staff revoke; refused, with nothing written, when the balance is smaller than `amount`."""
    _require_positive(amount)
    _require_reason(reason)
    line = _Line(-amount, Kind.MANUAL_REVOKE, f"revoke:{key}", actor=actor, reason=reason)
    return _post(user_id=user.pk, lines=[line])


def debit_payment_refund(*, payment, refund_id, credits, reason=""):
    """Take back the credits of a refunded payment, never below zero.

    What was already spent can't be taken back: it is returned as `shortfall` for support to see.
    """
    _require_positive(credits)
    key = f"payment-refund:{refund_id}"
    with transaction.atomic():
        # The lock makes the balance we read the one we debit; every posting takes it first.
        balance = _locked_balance(payment.user_id)
        existing = list(CreditTransaction.objects.filter(idempotency_key=key))
        if existing:
            return Posting(existing, created=False, balance=balance, shortfall=credits + existing[0].amount)
        taken = min(credits, balance)
        if taken == 0:
            return Posting([], created=True, balance=balance, shortfall=credits)
        line = _Line(-taken, Kind.PAYMENT_REFUND, key, payment_id=payment.pk, reason=reason)
        posting = _post(user_id=payment.user_id, lines=[line])
    return Posting(posting.entries, posting.created, shortfall=credits - taken, balance=posting.balance)


def grant_referral_welcome(*, user, amount):
    """An invited user's welcome credits, once per user (REFERRAL_WELCOME_CREDITS, at sign-up)."""
    _require_positive(amount)
    line = _Line(amount, Kind.REFERRAL_WELCOME, f"referral-welcome:{user.pk}", reason="invited by a friend")
    return _post(user_id=user.pk, lines=[line])


def reward_referrer(*, referrer_id, payment, credits, daily_cap, since):
    """The referrer's share of an invitee's paid purchase: once per payment (its key and a unique constraint),
    and no more than `daily_cap` credits of rewards since `since` (the start of the referrer's day; 0: no cap).

    The referrer's row is locked first, so two invitees' payments credited at once can't both pass the cap.
    Returns the Posting, or one with no entries when the cap left nothing to credit.
    """
    _require_positive(credits)
    with transaction.atomic():
        balance = _locked_balance(referrer_id)
        existing = list(CreditTransaction.objects.filter(payment_id=payment.pk, kind=Kind.REFERRAL_REWARD))
        if existing:
            return Posting(existing, created=False, balance=balance)
        amount = credits
        if daily_cap:
            today = CreditTransaction.objects.filter(
                user_id=referrer_id, kind=Kind.REFERRAL_REWARD, created_at__gte=since
            ).aggregate(total=Coalesce(Sum("amount"), Value(0)))["total"]
            amount = min(credits, daily_cap - today)
        if amount <= 0:
            return Posting([], created=False, balance=balance)
        line = _Line(
            amount, Kind.REFERRAL_REWARD, f"referral-reward:{payment.pk}", payment_id=payment.pk, reason="invitee paid"
        )
        return _post(user_id=referrer_id, lines=[line])


def take_back_referral_reward(*, payment):
    """A refunded payment's referral reward back from the referrer, as far as it is unspent, once per payment.
    None when the payment rewarded nobody; else a Posting whose `shortfall` is what was already spent."""
    reward = CreditTransaction.objects.filter(payment_id=payment.pk, kind=Kind.REFERRAL_REWARD).first()
    if reward is None:
        return None
    key = f"referral-reward-back:{payment.pk}"
    with transaction.atomic():
        balance = _locked_balance(reward.user_id)
        existing = list(CreditTransaction.objects.filter(idempotency_key=key))
        if existing:
            return Posting(existing, created=False, balance=balance, shortfall=reward.amount + existing[0].amount)
        taken = min(reward.amount, balance)
        if taken == 0:
            return Posting([], created=True, balance=balance, shortfall=reward.amount)
        line = _Line(-taken, Kind.REFERRAL_REWARD_TAKEN_BACK, key, payment_id=payment.pk, reason="invitee refunded")
        posting = _post(user_id=reward.user_id, lines=[line])
    return Posting(posting.entries, posting.created, shortfall=reward.amount - taken, balance=posting.balance)


def credit_promo(*, redemption):
    """A promo code's credits for the redemption just recorded (billing/promo.py, in its transaction), once."""
    _require_positive(redemption.credits)
    line = _Line(
        redemption.credits,
        Kind.PROMO,
        f"promo:{redemption.promo_id}:{redemption.user_id}",
        reason=f"promo code {redemption.promo.code}",
    )
    return _post(user_id=redemption.user_id, lines=[line])


def find_mismatches():
    """Users whose ledger does not sum to their balance: [(user, balance, ledger sum)]."""
    users = TelegramUser.objects.annotate(ledger=Coalesce(Sum("transactions__amount"), Value(0))).exclude(
        balance=F("ledger")
    )
    return [(user, user.balance, user.ledger) for user in users.order_by("pk")]


def _post(*, user_id, lines):
    if user_id is None:
        raise UnknownUser("The user is not saved: nothing can be posted.")
    total = sum(line.amount for line in lines)
    try:
        with transaction.atomic():
            balance = _move_balance(user_id, total)
            if balance is None:
                raise _Refused
            running = balance - total
            entries = []
            for line in lines:
                running += line.amount
                entries.append(
                    CreditTransaction(
                        user_id=user_id,
                        amount=line.amount,
                        kind=line.kind,
                        balance_after=running,
                        generation_id=line.generation_id,
                        payment_id=line.payment_id,
                        actor=line.actor,
                        reason=line.reason,
                        idempotency_key=line.key,
                    )
                )
            CreditTransaction.objects.bulk_create(entries)
        return Posting(entries, created=True, balance=balance)
    except IntegrityError:
        # A concurrent or earlier call with the same key won; ours was rolled back whole.
        done = _already_posted(lines)
        if done is None:
            raise
        return done
    except _Refused:
        done = _already_posted(lines)
        if done is not None:
            return done
        balance = TelegramUser.objects.filter(pk=user_id).values_list("balance", flat=True).first()
        if balance is None:
            raise UnknownUser(f"No user with id {user_id}.") from None
        if total > 0:
            raise BalanceTooLarge(adding=total, balance=balance) from None
        raise InsufficientCredits(needed=-total, balance=balance) from None


class _Refused(Exception):
    pass


def _move_balance(user_id, amount):
    """balance += amount in the database, never below zero nor past MAX_BALANCE; the new balance, or None
    when refused.

    The arithmetic happens in the UPDATE itself (what an F-expression does), and RETURNING hands back
    the balance it produced in the same round trip; PostgreSQL and SQLite (3.35+) both speak it.
    """
    table = connection.ops.quote_name(TelegramUser._meta.db_table)
    sql = f"UPDATE {table} SET balance = balance + %s WHERE id = %s"
    params = [amount, user_id]
    if amount < 0:
        sql += " AND balance >= %s"
        params.append(-amount)
    elif amount > 0:
        sql += " AND balance <= %s"
        params.append(MAX_BALANCE - amount)
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING balance", params)
        row = cursor.fetchone()
    return row[0] if row else None


def _already_posted(lines):
    keys = [line.key for line in lines]
    existing = list(CreditTransaction.objects.filter(idempotency_key__in=keys).order_by("pk"))
    if not existing:
        return None
    if len(existing) != len(keys):
        raise LedgerError(f"Only {len(existing)} of these {len(keys)} postings were made before; refusing to mix.")
    balance = TelegramUser.objects.filter(pk=existing[0].user_id).values_list("balance", flat=True).first()
    return Posting(existing, created=False, balance=balance)


def _locked_balance(user_id):
    balance = TelegramUser.objects.select_for_update().filter(pk=user_id).values_list("balance", flat=True).first()
    if balance is None:
        raise UnknownUser(f"No user with id {user_id}.")
    return balance


def _require_positive(amount):
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_BALANCE:
        raise InvalidAmount(f"The amount must be a whole number of credits above zero, not {amount!r}.")


def _require_reason(reason):
    if not (reason or "").strip():
        raise LedgerError("A reason is required for a manual change of balance.")
