"""Redeeming a promo code: every outcome, the typing, the window, new users only, wrong tries per hour."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import ledger, promo
from billing.models import CreditTransaction, PromoAttempt, PromoCode, PromoRedemption
from ops import cleanup
from tests.factories import make_generations, make_payment, make_user

pytestmark = pytest.mark.django_db


def code(name="SPRING", credits=20, **fields):
    return PromoCode.objects.create(code=name, credits=credits, **fields)


def redeem(user, typed, now=None):
    return promo.redeem(user=user, typed_code=typed, now=now or timezone.now())


def test_it_credits_the_code_once_through_the_ledger():
    spring = code(max_redemptions=10)
    user = make_user(credits=5)

    result = redeem(user, "SPRING")

    assert (result.outcome, result.credits, result.balance) == ("credited", 20, 25)
    entry = CreditTransaction.objects.get(user=user, kind="promo")
    assert (entry.amount, entry.balance_after, entry.idempotency_key) == (20, 25, f"promo:{spring.pk}:{user.pk}")
    assert PromoRedemption.objects.get(promo=spring, user=user).credits == 20
    spring.refresh_from_db()
    assert spring.redeemed == 1
    assert ledger.find_mismatches() == []


def test_it_takes_a_code_typed_in_lower_case_or_with_spaces():
    code("SPRING26")
    user = make_user()

    assert redeem(user, "  spring 26 \n").outcome == "credited"


@pytest.mark.parametrize("typed", ["", "   ", "SPR!NG", "<b>x</b>", "A" * 33])
def test_it_calls_junk_not_a_promo_code_and_counts_it_as_a_wrong_try(typed):
    code("A" * 32)
    user = make_user()

    result = redeem(user, typed)

    assert (result.outcome, result.code) == ("unknown", "")
    assert PromoAttempt.objects.filter(user=user).count() == 1


def test_it_accepts_a_code_of_32_characters():
    code("A" * 32)

    assert redeem(make_user(), "a" * 32).outcome == "credited"


def test_it_refuses_an_unknown_code():
    code()
    user = make_user()

    result = redeem(user, "AUTUMN")

    assert (result.outcome, result.code) == ("unknown", "AUTUMN")
    assert not CreditTransaction.objects.filter(user=user).exists()


def test_it_refuses_a_switched_off_code():
    code(is_active=False)

    assert redeem(make_user(), "spring").outcome == "not_active"


def test_it_redeems_only_inside_the_validity_window():
    now = timezone.now()
    code(valid_from=now, valid_until=now + timedelta(days=1))
    early, first, last, late = make_user(), make_user(), make_user(), make_user()

    assert redeem(early, "SPRING", now - timedelta(seconds=1)).outcome == "not_yet"
    assert redeem(first, "SPRING", now).outcome == "credited"
    assert redeem(last, "SPRING", now + timedelta(days=1) - timedelta(seconds=1)).outcome == "credited"
    assert redeem(late, "SPRING", now + timedelta(days=1)).outcome == "expired"
    assert PromoCode.objects.get().redeemed == 2


def test_it_refuses_a_used_up_code():
    code(max_redemptions=1)
    assert redeem(make_user(), "SPRING").outcome == "credited"

    user = make_user()
    result = redeem(user, "SPRING")

    assert result.outcome == "used_up"
    assert not PromoRedemption.objects.filter(user=user).exists()
    assert PromoCode.objects.get().redeemed == 1


def test_it_refuses_a_code_the_user_has_used_and_credits_nothing_more():
    code()
    user = make_user()
    redeem(user, "SPRING")

    result = redeem(user, "spring")

    assert result.outcome == "already_used"
    assert user.transactions.filter(kind="promo").count() == 1
    assert PromoCode.objects.get().redeemed == 1


def test_it_gives_a_new_users_code_to_a_user_with_welcome_credits_only():
    code(new_users_only=True)

    assert redeem(make_user(credits=3), "SPRING").outcome == "credited"


def test_it_refuses_a_new_users_code_to_a_user_who_has_ordered():
    code(new_users_only=True)
    user = make_user(credits=10)
    ledger.charge_generations(generations=make_generations(user, cost=3))

    assert redeem(user, "SPRING").outcome == "new_users_only"
    assert not PromoRedemption.objects.exists()


def test_it_refuses_a_new_users_code_to_a_user_who_has_paid():
    code(new_users_only=True)
    user = make_user()
    ledger.credit_payment(payment=make_payment(user, credits=100))

    assert redeem(user, "SPRING").outcome == "new_users_only"


def test_it_stops_looking_codes_up_after_the_wrong_tries_of_an_hour(settings):
    settings.PROMO_TRIES_PER_HOUR = 3
    code()
    user = make_user()
    for typed in ("ONE", "TWO", "THREE"):
        assert redeem(user, typed).outcome == "unknown"

    result = redeem(user, "SPRING")

    assert result.outcome == "too_many_tries"
    assert not PromoRedemption.objects.exists()
    assert PromoAttempt.objects.filter(user=user).count() == 3  # a refused try is not one more wrong one


def test_it_looks_codes_up_again_an_hour_after_the_wrong_tries(settings):
    settings.PROMO_TRIES_PER_HOUR = 2
    code()
    user = make_user()
    redeem(user, "ONE")
    redeem(user, "TWO")

    assert redeem(user, "SPRING", timezone.now() + timedelta(minutes=61)).outcome == "credited"


def test_it_counts_expired_and_used_up_codes_as_wrong_tries_but_not_a_code_already_used(settings):
    settings.PROMO_TRIES_PER_HOUR = 2
    now = timezone.now()
    code("OLD", valid_until=now - timedelta(days=1))
    code("MINE")
    code("LATEST")
    user = make_user()
    redeem(user, "MINE")
    for _ in range(3):
        assert redeem(user, "MINE").outcome == "already_used"
    assert redeem(user, "OLD").outcome == "expired"
    assert redeem(user, "LATEST").outcome == "credited"

    assert redeem(user, "NOPE").outcome == "unknown"
    assert redeem(user, "LATEST").outcome == "too_many_tries"


def test_it_counts_the_wrong_tries_of_each_user_apart(settings):
    settings.PROMO_TRIES_PER_HOUR = 1
    code()
    guesser = make_user()
    redeem(guesser, "NOPE")

    assert redeem(guesser, "SPRING").outcome == "too_many_tries"
    assert redeem(make_user(), "SPRING").outcome == "credited"


def test_it_prunes_wrong_tries_older_than_a_day_at_cleanup():
    user = make_user()
    redeem(user, "OLD")
    PromoAttempt.objects.update(at=timezone.now() - timedelta(days=1, minutes=1))
    redeem(user, "NEW")

    assert cleanup.run()["wrong promo codes"] == 1
    assert PromoAttempt.objects.count() == 1
