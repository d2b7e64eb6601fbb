import pytest

from billing import ledger
from billing.models import CreditTransaction
from tests.concurrency import race
from tests.factories import make_generations, make_payment, make_user

Kind = CreditTransaction.Kind


@pytest.mark.django_db
def test_it_credits_a_payment():
    user = make_user()
    payment = make_payment(user, credits=100)

    posting = ledger.credit_payment(payment=payment)

    user.refresh_from_db()
    assert posting.created and user.balance == 100
    entry = CreditTransaction.objects.get(kind=Kind.PURCHASE)
    assert (entry.payment_id, entry.amount, entry.balance_after) == (payment.pk, 100, 100)


@pytest.mark.django_db
def test_it_credits_a_payment_once_when_asked_twice():
    user = make_user()
    payment = make_payment(user, credits=100)
    ledger.credit_payment(payment=payment)

    again = ledger.credit_payment(payment=payment)

    user.refresh_from_db()
    assert not again.created and user.balance == 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_credits_a_payment_once_when_two_threads_credit_it_at_once():
    user = make_user()
    payment = make_payment(user, credits=100)

    outcomes = race(lambda: ledger.credit_payment(payment=payment), threads=2)

    user.refresh_from_db()
    assert [error for _, error in outcomes if error] == []
    assert sorted(posting.created for posting, _ in outcomes) == [False, True]
    assert user.balance == 100
    assert CreditTransaction.objects.filter(kind=Kind.PURCHASE).count() == 1


@pytest.mark.django_db
def test_it_takes_back_a_refunded_payment_but_never_below_zero():
    user = make_user()
    payment = make_payment(user, credits=100)
    ledger.credit_payment(payment=payment)
    ledger.charge_generations(generations=make_generations(user, count=3, cost=20))

    posting = ledger.debit_payment_refund(payment=payment, refund_id="rf-1", credits=100)

    user.refresh_from_db()
    assert posting.created and posting.shortfall == 60 and user.balance == 0
    assert CreditTransaction.objects.get(kind=Kind.PAYMENT_REFUND).amount == -40


@pytest.mark.django_db
def test_it_takes_back_a_refunded_payment_once():
    user = make_user()
    payment = make_payment(user, credits=100)
    ledger.credit_payment(payment=payment)
    ledger.debit_payment_refund(payment=payment, refund_id="rf-1", credits=30)

    again = ledger.debit_payment_refund(payment=payment, refund_id="rf-1", credits=30)

    user.refresh_from_db()
    assert not again.created and again.shortfall == 0 and user.balance == 70
    assert ledger.find_mismatches() == []
