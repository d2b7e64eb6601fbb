"""Referrals: invite codes, the referrer's share of an invitee's paid purchases, and its take-back on a refund.

Credits move through billing.ledger only, in the transaction that credits (or refunds) the payment. Only a
*paid* purchase rewards: welcome, promo and staff grants never do, so accounts inviting each other earn
nothing without paying. The referrer is told after commit, by a task that claims a marker on the Payment.
"""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction, Payment
from messaging import sender
from messaging.texts import credits

log = logging.getLogger(__name__)
Kind = CreditTransaction.Kind
# Lower-case letters and digits: 36**8 codes, read aloud or typed without confusion about case.
CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
CODE_LENGTH = 8
CODE_TRIES = 5


def code_for(user):
    """The user's invite code, made on first need; a collision with another user's code tries again."""
    if user.referral_code:
        return user.referral_code
    for _try in range(CODE_TRIES):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                TelegramUser.objects.filter(pk=user.pk, referral_code=None).update(referral_code=code)
        except IntegrityError:
            continue
        # Ours, or one made by a concurrent /invite of the same user: either way the stored one.
        user.referral_code = TelegramUser.objects.values_list("referral_code", flat=True).get(pk=user.pk)
        return user.referral_code
    raise RuntimeError(f"no free invite code after {CODE_TRIES} tries")


def referrer_for(code, *, telegram_id):
    """The user whose invite code this is, or None (unknown, or the newcomer's own: no self-invites)."""
    if not code:
        return None
    referrer = TelegramUser.objects.filter(referral_code=code.lower()).first()
    if referrer is None or referrer.telegram_id == telegram_id:
        return None
    return referrer


@dataclass(frozen=True)
class Invited:
    friends: int
    earned: int


def invited(user):
    """How many friends joined by the user's link and what their purchases earned (net of take-backs)."""
    earned = CreditTransaction.objects.filter(
        user=user, kind__in=[Kind.REFERRAL_REWARD, Kind.REFERRAL_REWARD_TAKEN_BACK]
    ).aggregate(total=Coalesce(Sum("amount"), Value(0)))["total"]
    return Invited(friends=TelegramUser.objects.filter(referred_by=user).count(), earned=earned)


def reward_share(payment_credits):
    """REFERRAL_REWARD_PERCENT of the credits, rounded down, but at least 1 while the percent is positive."""
    percent = settings.REFERRAL_REWARD_PERCENT
    if percent <= 0:
        return 0
    return max(1, payment_credits * percent // 100)


def reward_for(payment):
    """The buyer's referrer's share of this payment, just credited (in credit()'s transaction, after the
    purchase row, so the buyer's row is locked and their credited payments are counted one at a time).
    Returns the Posting, or None when nobody is rewarded."""
    referrer_id = TelegramUser.objects.values_list("referred_by_id", flat=True).get(pk=payment.user_id)
    share = reward_share(payment.credits)
    if referrer_id is None or share <= 0:
        return None
    paid = CreditTransaction.objects.filter(user_id=payment.user_id, kind=Kind.PURCHASE).count()
    if paid > settings.REFERRAL_REWARDED_PAYMENTS:
        return None
    posting = ledger.reward_referrer(
        referrer_id=referrer_id,
        payment=payment,
        credits=share,
        daily_cap=settings.REFERRAL_DAILY_CAP,
        since=start_of_day(),
    )
    if posting.created:
        log.info("payment %s: referrer %s rewarded %s credits", payment.pk, referrer_id, posting.entries[0].amount)
        transaction.on_commit(lambda: _tell("referral_rewarded", payment.pk))
    return posting


def take_back_for(payment):
    """A refunded payment's referral reward, back from the referrer as far as unspent (in the refund's
    transaction). Returns the Posting, or None when the payment rewarded nobody."""
    posting = ledger.take_back_referral_reward(payment=payment)
    if posting is not None and posting.created and posting.entries:
        log.info("payment %s: referral reward taken back (%s short)", payment.pk, posting.shortfall)
        transaction.on_commit(lambda: _tell("referral_taken_back", payment.pk))
    return posting


def start_of_day(now=None):
    """Midnight of today in TIME_ZONE: the daily cap counts rewards since then."""
    local = timezone.localtime(now or timezone.now(), timezone.get_default_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def tell_rewarded(payment_id):
    """The referrer's «your friend bought credits: +N», once per payment."""
    return _tell_once(payment_id, "referral_reward_sent_at", Kind.REFERRAL_REWARD, _rewarded_text)


def tell_taken_back(payment_id):
    """The referrer's «your friend's purchase was refunded: N taken back», once per payment."""
    return _tell_once(payment_id, "referral_taken_back_sent_at", Kind.REFERRAL_REWARD_TAKEN_BACK, _taken_back_text)


def _tell_once(payment_id, marker, kind, text):
    entry = CreditTransaction.objects.select_related("user").filter(payment_id=payment_id, kind=kind).first()
    if entry is None:
        return False
    now = timezone.now()
    claimed = Payment.objects.filter(pk=payment_id, **{f"{marker}__isnull": True}).update(**{marker: now})
    if not claimed:
        log.info("payment %s: %s already sent", payment_id, marker)
        return False
    referrer = entry.user
    if referrer.bot_blocked_at:
        log.info("payment %s: %s not sent, user %s blocked the bot", payment_id, marker, referrer.pk)
        return False
    try:
        with translation.override(referrer.language):
            sender.send_message(referrer.telegram_id, text(abs(entry.amount), referrer.balance))
    except sender.SendFailed:
        # Given back, so that a redelivery of the task may send it.
        Payment.objects.filter(pk=payment_id, **{marker: now}).update(**{marker: None})
        raise
    log.info("payment %s: %s sent to user %s", payment_id, marker, referrer.pk)
    return True


def _rewarded_text(amount, balance):
    return _("A friend you invited bought credits: +%(amount)s for you. Balance: %(balance)s.") % {
        "amount": credits(amount),
        "balance": credits(balance),
    }


def _taken_back_text(amount, balance):
    return _(
        "A friend you invited got their money back, so the reward for that purchase was taken back: "
        "−%(amount)s. Balance: %(balance)s."
    ) % {"amount": credits(amount), "balance": credits(balance)}


def _tell(what, payment_id):
    # A task, as for the buyer's messages (billing.settlement): the payment's path must not wait on Telegram.
    try:
        async_task(f"billing.tasks.{what}", payment_id, task_name=f"{what}-{payment_id}")
    except Exception:  # noqa: BLE001  (the money is settled; a lost message is logged, not retried)
        log.exception("payment %s: %s message not queued", payment_id, what)
