"""Redeeming a promo code: credits once per user, within the code's window and total, through the ledger.

Race-safe by the database, not by checks: the user's row is locked first (the order the bot's turn takes
too, so no deadlock), a unique (promo, user) row means one user gets a code once, and a conditional UPDATE
of the code's counter (active, in its window, below its total) means the last redemption goes to one user.
See docs/promo.md for which refusals count as wrong tries and who is a new user.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction, PromoAttempt, PromoCode, PromoRedemption

MAX_LENGTH = 32
# Letters (any alphabet), digits, "-" and "_": what a staff member can create and a seller can type.
CODE_PATTERN = re.compile(r"[\w-]+")
TRIES_WINDOW = timedelta(hours=1)

CREDITED = "credited"
UNKNOWN = "unknown"
NOT_ACTIVE = "not_active"
NOT_YET = "not_yet"
EXPIRED = "expired"
USED_UP = "used_up"
ALREADY_USED = "already_used"
NEW_USERS_ONLY = "new_users_only"
TOO_MANY_TRIES = "too_many_tries"
# Refusals that say the typed code gets nothing from anyone: counted against PROMO_TRIES_PER_HOUR.
# "Already used by you" and "new users only" name a real code the user simply can't have again.
WRONG = {UNKNOWN, NOT_ACTIVE, NOT_YET, EXPIRED, USED_UP}


@dataclass(frozen=True)
class Result:
    outcome: str
    credits: int = 0
    balance: int | None = None
    code: str = ""

    @property
    def credited(self):
        return self.outcome == CREDITED


def normalise(typed):
    """The code as stored (capitals, no spaces), or "" for what can't be a code (junk, too long)."""
    code = "".join((typed or "").split()).upper()
    if len(code) > MAX_LENGTH or not CODE_PATTERN.fullmatch(code):
        return ""
    return code


def is_new_user(user):
    """Never paid (no purchase credited) and never ordered (no generation charged): read from the ledger,
    which billing owns, so it holds whatever the payment or the order later became."""
    return not CreditTransaction.objects.filter(
        user_id=user.pk, kind__in=[CreditTransaction.Kind.PURCHASE, CreditTransaction.Kind.GENERATION_CHARGE]
    ).exists()


def redeem(*, user, typed_code, now):
    """Credit `typed_code`'s credits to `user` once, or say why not; one transaction (the caller's, if any)."""
    code = normalise(typed_code)
    with transaction.atomic():
        # Serialises this user's redemptions (and so the count of their wrong tries).
        TelegramUser.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        if PromoAttempt.objects.filter(user_id=user.pk, at__gt=now - TRIES_WINDOW).count() >= (
            settings.PROMO_TRIES_PER_HOUR
        ):
            return Result(TOO_MANY_TRIES, code=code)
        result = _redeem(user, code, now)
        if result.outcome in WRONG:
            PromoAttempt.objects.create(user_id=user.pk)
        return result


def _redeem(user, code, now):
    promo = PromoCode.objects.filter(code=code).first() if code else None
    if promo is None:
        return Result(UNKNOWN, code=code)
    if PromoRedemption.objects.filter(promo=promo, user_id=user.pk).exists():
        return Result(ALREADY_USED, code=code)
    refusal = _refusal(promo, now)
    if refusal:
        return Result(refusal, code=code)
    if promo.new_users_only and not is_new_user(user):
        return Result(NEW_USERS_ONLY, code=code)
    try:
        with transaction.atomic():  # a savepoint: the redemption goes if the code can't be counted
            try:
                with transaction.atomic():
                    redemption = PromoRedemption.objects.create(promo=promo, user_id=user.pk, credits=promo.credits)
            except IntegrityError:
                raise _Taken from None
            if not _count(promo, now):
                raise _Gone
            posting = ledger.credit_promo(redemption=redemption)
    except _Taken:
        return Result(ALREADY_USED, code=code)
    except _Gone:
        promo.refresh_from_db()
        return Result(_refusal(promo, now) or USED_UP, code=code)
    return Result(CREDITED, credits=promo.credits, balance=posting.balance, code=code)


class _Taken(Exception):
    """The same user's other redemption of this code committed first (the unique constraint)."""


class _Gone(Exception):
    """The code was used up (or closed) between reading it and counting this redemption."""


def _count(promo, now):
    """redeemed + 1 where the code is still open; False when another redemption took the last one."""
    window = (Q(valid_from__isnull=True) | Q(valid_from__lte=now)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    )
    room = Q(max_redemptions__isnull=True) | Q(redeemed__lt=F("max_redemptions"))
    return PromoCode.objects.filter(window, room, pk=promo.pk, is_active=True).update(redeemed=F("redeemed") + 1) == 1


def _refusal(promo, now):
    if not promo.is_active:
        return NOT_ACTIVE
    if promo.valid_from is not None and now < promo.valid_from:
        return NOT_YET
    if promo.valid_until is not None and now >= promo.valid_until:
        return EXPIRED
    if promo.max_redemptions is not None and promo.redeemed >= promo.max_redemptions:
        return USED_UP
    return ""


def state(promo, now):
    """The code's state for staff: "" when it can be redeemed now, else why not (the refusal's name)."""
    return _refusal(promo, now)
