import pytest
from django.contrib.auth.models import User

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from tests.factories import make_user

Kind = CreditTransaction.Kind


@pytest.fixture
def staff(db):
    return User.objects.create_user("support", is_staff=True)


@pytest.mark.django_db
def test_it_grants_credits_with_the_actor_and_reason(staff):
    user = make_user()

    ledger.grant_credits(user=user, amount=25, actor=staff, reason="goodwill", key="form-1")

    user.refresh_from_db()
    entry = CreditTransaction.objects.get(user=user)
    assert user.balance == 25
    assert (entry.kind, entry.amount, entry.actor, entry.reason) == (Kind.MANUAL_GRANT, 25, staff, "goodwill")


@pytest.mark.django_db
def test_it_grants_once_per_key(staff):
    user = make_user()
    ledger.grant_credits(user=user, amount=25, actor=staff, reason="goodwill", key="form-1")

    again = ledger.grant_credits(user=user, amount=25, actor=staff, reason="goodwill", key="form-1")

    user.refresh_from_db()
    assert not again.created and user.balance == 25


@pytest.mark.django_db
def test_it_revokes_credits(staff):
    user = make_user(credits=40)

    ledger.revoke_credits(user=user, amount=15, actor=staff, reason="duplicate grant", key="form-2")

    user.refresh_from_db()
    assert user.balance == 25
    assert CreditTransaction.objects.get(kind=Kind.MANUAL_REVOKE).amount == -15


@pytest.mark.django_db
def test_it_refuses_to_revoke_more_than_the_balance(staff):
    user = make_user(credits=10)

    with pytest.raises(ledger.InsufficientCredits, match="11 needed, 10 available"):
        ledger.revoke_credits(user=user, amount=11, actor=staff, reason="mistake", key="form-3")

    user.refresh_from_db()
    assert user.balance == 10 and not CreditTransaction.objects.filter(kind=Kind.MANUAL_REVOKE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [0, -5, 2.5, "10", True, None])
def test_it_refuses_an_amount_that_is_not_a_positive_whole_number(staff, amount):
    user = make_user()

    with pytest.raises(ledger.InvalidAmount, match="above zero"):
        ledger.grant_credits(user=user, amount=amount, actor=staff, reason="x", key="k")
    with pytest.raises(ledger.InvalidAmount):
        ledger.revoke_credits(user=user, amount=amount, actor=staff, reason="x", key="k")

    assert not CreditTransaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_it_refuses_a_manual_change_without_a_reason(staff, reason):
    user = make_user()

    with pytest.raises(ledger.LedgerError, match="reason is required"):
        ledger.grant_credits(user=user, amount=5, actor=staff, reason=reason, key="k")

    assert not CreditTransaction.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_unknown_user(staff):
    ghost = TelegramUser(pk=987654, telegram_id=1)

    with pytest.raises(ledger.UnknownUser, match="987654"):
        ledger.grant_credits(user=ghost, amount=5, actor=staff, reason="x", key="k")
    with pytest.raises(ledger.UnknownUser):
        ledger.grant_credits(user=TelegramUser(telegram_id=2), amount=5, actor=staff, reason="x", key="k2")

    assert not CreditTransaction.objects.exists()
