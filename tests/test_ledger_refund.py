import pytest

from billing import ledger
from billing.models import CreditTransaction
from tests.concurrency import race
from tests.factories import make_generations, make_user

Kind = CreditTransaction.Kind


@pytest.mark.django_db
def test_it_refunds_exactly_what_was_charged():
    user = make_user(credits=50)
    first, second = make_generations(user, count=2, cost=12)
    ledger.charge_generations(generations=[first, second])

    posting = ledger.refund_generation(generation=second, reason="provider failed")

    user.refresh_from_db()
    assert posting.created and user.balance == 38
    refund = CreditTransaction.objects.get(kind=Kind.GENERATION_REFUND)
    assert (refund.generation_id, refund.amount, refund.balance_after, refund.reason) == (
        second.pk,
        12,
        38,
        "provider failed",
    )


@pytest.mark.django_db
def test_it_refunds_once_when_asked_twice():
    user = make_user(credits=10)
    (generation,) = make_generations(user, cost=10)
    ledger.charge_generations(generations=[generation])
    ledger.refund_generation(generation=generation)

    again = ledger.refund_generation(generation=generation)

    user.refresh_from_db()
    assert not again.created and user.balance == 10
    assert CreditTransaction.objects.filter(kind=Kind.GENERATION_REFUND).count() == 1


@pytest.mark.django_db
def test_it_refuses_to_refund_a_generation_that_was_never_charged():
    user = make_user(credits=10)
    (generation,) = make_generations(user, cost=10)

    with pytest.raises(ledger.NotCharged, match="never charged"):
        ledger.refund_generation(generation=generation)

    user.refresh_from_db()
    assert user.balance == 10
    assert not CreditTransaction.objects.filter(generation=generation).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refunds_once_when_10_threads_ask_at_once():
    user = make_user(credits=30)
    (generation,) = make_generations(user, cost=30)
    ledger.charge_generations(generations=[generation])

    outcomes = race(lambda: ledger.refund_generation(generation=generation), threads=10)

    user.refresh_from_db()
    assert [error for _, error in outcomes if error] == []
    assert sum(posting.created for posting, _ in outcomes) == 1
    assert user.balance == 30
    assert CreditTransaction.objects.filter(kind=Kind.GENERATION_REFUND).count() == 1
    assert ledger.find_mismatches() == []
