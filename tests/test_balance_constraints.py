import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import TelegramUser
from billing.models import CreditTransaction
from tests.factories import make_user


@pytest.mark.django_db
def test_it_keeps_a_balance_from_going_negative_in_the_database():
    user = make_user(credits=5)

    with pytest.raises(IntegrityError), transaction.atomic():
        TelegramUser.objects.filter(pk=user.pk).update(balance=F("balance") - 6)

    user.refresh_from_db()
    assert user.balance == 5


@pytest.mark.django_db
def test_it_keeps_the_sign_of_a_ledger_row_true_to_its_kind():
    user = make_user()

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(
            user=user,
            amount=10,
            kind=CreditTransaction.Kind.GENERATION_CHARGE,
            balance_after=10,
            idempotency_key="forged",
        )
