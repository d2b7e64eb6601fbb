"""The ledger's growth postings: an invitee's welcome, a referrer's reward per paid payment within a daily cap,
the reward taken back as far as unspent, and a promo code's credits, each once."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import ledger
from billing.models import CreditTransaction, PromoCode, PromoRedemption
from tests.concurrency import race
from tests.factories import make_payment, make_user

Kind = CreditTransaction.Kind
pytestmark = pytest.mark.django_db


def _start_of_day():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _reward(referrer, payment, credits=10, cap=0):
    return ledger.reward_referrer(
        referrer_id=referrer.pk, payment=payment, credits=credits, daily_cap=cap, since=_start_of_day()
    )


def test_it_welcomes_an_invited_user_once():
    user = make_user()

    first = ledger.grant_referral_welcome(user=user, amount=3)
    again = ledger.grant_referral_welcome(user=user, amount=3)

    user.refresh_from_db()
    assert (first.created, again.created, user.balance) == (True, False, 3)
    assert CreditTransaction.objects.get(user=user).kind == Kind.REFERRAL_WELCOME


def test_it_rewards_a_referrer_once_per_payment():
    referrer, invitee = make_user(), make_user()
    payment = make_payment(invitee, credits=100)

    first, again = _reward(referrer, payment), _reward(referrer, payment)

    referrer.refresh_from_db()
    assert (first.created, again.created, referrer.balance) == (True, False, 10)
    row = CreditTransaction.objects.get(kind=Kind.REFERRAL_REWARD)
    assert (row.user_id, row.payment_id, row.amount) == (referrer.pk, payment.pk, 10)


def test_it_keeps_a_referrers_rewards_within_the_daily_cap():
    referrer, invitee = make_user(), make_user()
    payments = [make_payment(invitee, credits=100) for _ in range(3)]

    postings = [_reward(referrer, payment, credits=10, cap=25) for payment in payments]

    referrer.refresh_from_db()
    assert [sum(e.amount for e in p.entries) for p in postings] == [10, 10, 5]
    assert referrer.balance == 25
    assert _reward(referrer, make_payment(invitee), credits=10, cap=25).entries == []


def test_it_counts_only_todays_rewards_against_the_cap():
    referrer, invitee = make_user(), make_user()
    _reward(referrer, make_payment(invitee), credits=20, cap=20)
    CreditTransaction.objects.filter(kind=Kind.REFERRAL_REWARD).update(created_at=timezone.now() - timedelta(days=1))

    posting = _reward(referrer, make_payment(invitee), credits=20, cap=20)

    assert posting.created and posting.entries[0].amount == 20


def test_it_takes_a_reward_back_once_and_only_what_is_unspent():
    referrer, invitee = make_user(), make_user()
    payment = make_payment(invitee)
    _reward(referrer, payment, credits=10)
    ledger.revoke_credits(user=referrer, amount=4, actor=None, reason="spent", key="spent")

    first = ledger.take_back_referral_reward(payment=payment)
    again = ledger.take_back_referral_reward(payment=payment)

    referrer.refresh_from_db()
    assert (first.created, first.shortfall, referrer.balance) == (True, 4, 0)
    assert (again.created, again.shortfall) == (False, 4)
    assert CreditTransaction.objects.get(kind=Kind.REFERRAL_REWARD_TAKEN_BACK).amount == -6
    assert ledger.find_mismatches() == []


def test_it_takes_nothing_back_from_a_payment_that_rewarded_nobody():
    assert ledger.take_back_referral_reward(payment=make_payment(make_user())) is None


def test_it_credits_a_promo_redemption_once():
    user = make_user()
    promo = PromoCode.objects.create(code="SPRING", credits=7)
    redemption = PromoRedemption.objects.create(promo=promo, user=user, credits=7)

    first, again = ledger.credit_promo(redemption=redemption), ledger.credit_promo(redemption=redemption)

    user.refresh_from_db()
    assert (first.created, again.created, user.balance) == (True, False, 7)
    assert CreditTransaction.objects.get(user=user).kind == Kind.PROMO


def test_it_lets_the_database_refuse_a_second_reward_for_a_payment_under_another_key():
    referrer, invitee = make_user(), make_user()
    payment = make_payment(invitee)
    _reward(referrer, payment)

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(
            user=referrer, amount=5, kind=Kind.REFERRAL_REWARD, balance_after=15, payment=payment, idempotency_key="x"
        )


def test_it_lets_the_database_refuse_a_negative_reward_or_a_positive_take_back():
    user = make_user()
    for kind, amount in [(Kind.REFERRAL_REWARD, -1), (Kind.PROMO, -1), (Kind.REFERRAL_REWARD_TAKEN_BACK, 1)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditTransaction.objects.create(
                user=user, amount=amount, kind=kind, balance_after=1, idempotency_key=f"{kind}{amount}"
            )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_rewards_once_and_keeps_the_cap_when_payments_race():
    referrer = make_user()
    invitees = [make_user() for _ in range(5)]
    payments = [make_payment(invitee, credits=100) for invitee in invitees]

    # Each payment twice at once (a redelivered notification), five invitees' payments together.
    outcomes = race(lambda index: _reward(referrer, payments[index % 5], cap=35), threads=10, args_for=lambda i: (i,))

    referrer.refresh_from_db()
    assert [error for _, error in outcomes if error] == []
    assert referrer.balance == 35
    assert CreditTransaction.objects.filter(kind=Kind.REFERRAL_REWARD).count() == 4
    assert ledger.find_mismatches() == []
