"""Promo codes redeemed at once, on PostgreSQL threads: the last redemption goes to one user, a user gets a
code once, and the ledger matches every balance after."""

import pytest
from django.utils import timezone

from accounts.models import TelegramUser
from billing import ledger, promo
from billing.models import CreditTransaction, PromoCode, PromoRedemption
from tests.concurrency import race
from tests.factories import make_user

pytestmark = pytest.mark.postgres


def redeem(user_pk, typed="spring"):
    user = TelegramUser.objects.get(pk=user_pk)
    return promo.redeem(user=user, typed_code=typed, now=timezone.now()).outcome


def outcomes_of(results):
    assert [error for _, error in results] == [None] * len(results)
    return sorted(outcome for outcome, _ in results)


def test_it_gives_the_last_redemption_taken_by_two_users_at_once_to_one(transactional_db):
    for _ in range(5):
        spring = PromoCode.objects.create(code="SPRING", credits=20, max_redemptions=1)
        users = [make_user(), make_user()]

        results = race(redeem, threads=2, args_for=lambda i, users=users: (users[i].pk,))

        assert outcomes_of(results) == ["credited", "used_up"]
        spring.refresh_from_db()
        assert spring.redeemed == 1
        assert PromoRedemption.objects.filter(promo=spring).count() == 1
        assert CreditTransaction.objects.filter(kind="promo", user__in=users).count() == 1
        assert ledger.find_mismatches() == []
        PromoRedemption.objects.all().delete()
        CreditTransaction.objects.filter(kind="promo").delete()
        TelegramUser.objects.filter(pk__in=[u.pk for u in users]).update(balance=0)
        spring.delete()


def test_it_admits_exactly_the_total_of_a_code_among_many_users(transactional_db):
    spring = PromoCode.objects.create(code="SPRING", credits=20, max_redemptions=3)
    users = [make_user() for _ in range(10)]

    results = race(redeem, threads=10, args_for=lambda i: (users[i].pk,))

    assert outcomes_of(results) == ["credited"] * 3 + ["used_up"] * 7
    spring.refresh_from_db()
    assert spring.redeemed == 3 == PromoRedemption.objects.count()
    assert sum(TelegramUser.objects.values_list("balance", flat=True)) == 60
    assert ledger.find_mismatches() == []


def test_it_gives_one_user_redeeming_ten_times_at_once_the_code_once(transactional_db):
    spring = PromoCode.objects.create(code="SPRING", credits=20)
    user = make_user(credits=5)

    results = race(redeem, threads=10, args_for=lambda i: (user.pk, " Spring " if i % 2 else "SPRING"))

    assert outcomes_of(results) == ["already_used"] * 9 + ["credited"]
    spring.refresh_from_db()
    assert spring.redeemed == 1
    user.refresh_from_db()
    assert user.balance == 25
    assert user.transactions.filter(kind="promo").count() == 1
    assert ledger.find_mismatches() == []


def test_it_counts_wrong_tries_typed_at_once_no_further_than_the_limit(transactional_db, settings):
    settings.PROMO_TRIES_PER_HOUR = 3
    PromoCode.objects.create(code="SPRING", credits=20)
    user = make_user()

    results = race(redeem, threads=8, args_for=lambda i: (user.pk, f"GUESS{i}"))

    assert outcomes_of(results) == ["too_many_tries"] * 5 + ["unknown"] * 3
    assert redeem(user.pk, "SPRING") == "too_many_tries"
