import random

import pytest

from billing import ledger
from billing.models import CreditTransaction
from tests.concurrency import race
from tests.factories import make_generations, make_user

Kind = CreditTransaction.Kind


@pytest.mark.django_db
def test_it_charges_each_generation_its_cost():
    user = make_user(credits=100)
    generations = make_generations(user, count=3, cost=10)

    posting = ledger.charge_generations(generations=generations)

    user.refresh_from_db()
    assert posting.created and posting.balance == 70 and user.balance == 70
    rows = CreditTransaction.objects.filter(kind=Kind.GENERATION_CHARGE).order_by("pk")
    assert [(r.generation_id, r.amount, r.balance_after) for r in rows] == [
        (generations[0].pk, -10, 90),
        (generations[1].pk, -10, 80),
        (generations[2].pk, -10, 70),
    ]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_charges_nothing_when_the_balance_is_short():
    user = make_user(credits=15)
    generations = make_generations(user, count=2, cost=10)

    with pytest.raises(ledger.InsufficientCredits, match="20 needed, 15 available"):
        ledger.charge_generations(generations=generations)

    user.refresh_from_db()
    assert user.balance == 15
    assert not CreditTransaction.objects.filter(kind=Kind.GENERATION_CHARGE).exists()


@pytest.mark.django_db
def test_it_says_so_when_the_same_generations_are_charged_again():
    user = make_user(credits=30)
    generations = make_generations(user, count=2, cost=10)
    ledger.charge_generations(generations=generations)

    again = ledger.charge_generations(generations=generations)

    user.refresh_from_db()
    assert not again.created and len(again.entries) == 2
    assert user.balance == 10
    assert CreditTransaction.objects.filter(kind=Kind.GENERATION_CHARGE).count() == 2


@pytest.mark.django_db
def test_it_says_so_when_a_repeat_finds_the_balance_already_spent():
    user = make_user(credits=10)
    generations = make_generations(user, count=1, cost=10)
    ledger.charge_generations(generations=generations)

    again = ledger.charge_generations(generations=generations)

    assert not again.created and again.balance == 0


@pytest.mark.django_db
def test_it_refuses_to_charge_generations_of_two_users_together():
    first, second = make_user(credits=50), make_user(credits=50)
    generations = make_generations(first) + make_generations(second)

    with pytest.raises(ledger.LedgerError, match="several users"):
        ledger.charge_generations(generations=generations)

    assert not CreditTransaction.objects.filter(kind=Kind.GENERATION_CHARGE).exists()


@pytest.mark.django_db
def test_it_refuses_a_generation_that_costs_nothing():
    user = make_user(credits=50)

    with pytest.raises(ledger.InvalidAmount):
        ledger.charge_generations(generations=make_generations(user, cost=0))

    user.refresh_from_db()
    assert user.balance == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_overdraws_when_20_threads_charge_one_user_at_once():
    user = make_user(credits=100)
    picker = random.Random(20)
    orders = [make_generations(user, count=picker.randint(1, 3), cost=10) for _ in range(20)]

    outcomes = race(
        lambda order: ledger.charge_generations(generations=order), threads=20, args_for=lambda index: (orders[index],)
    )

    user.refresh_from_db()
    charged = [sum(g.cost for g in order) for order, (posting, _) in zip(orders, outcomes, strict=True) if posting]
    refused = [sum(g.cost for g in order) for order, (_, error) in zip(orders, outcomes, strict=True) if error]
    assert all(isinstance(error, ledger.InsufficientCredits) for _, error in outcomes if error)
    assert sum(charged) <= 100 and user.balance == 100 - sum(charged) >= 0
    # The most that fits: every refused order was refused because it really did not fit.
    assert all(cost > user.balance for cost in refused)
    assert len(charged) >= 1 and len(charged) + len(refused) == 20
    assert ledger.find_mismatches() == []
