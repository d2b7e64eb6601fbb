"""grant_credits, revoke_credits and refund_generation record who ran them, and grant_credits refuses the
same grant typed twice within ten minutes unless told --again."""

import getpass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from generations.models import Generation
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db
Kind = CreditTransaction.Kind


def balance(user):
    return TelegramUser.objects.values_list("balance", flat=True).get(pk=user.pk)


def grant(user, amount, **options):
    return call_command("grant_credits", str(user.telegram_id), str(amount), **{"reason": "ticket 7", **options})


def test_it_refuses_an_identical_grant_within_ten_minutes_naming_the_earlier_one():
    user = make_user()
    grant(user, 50)
    earlier = CreditTransaction.objects.get(user=user)

    with pytest.raises(CommandError) as refused:
        grant(user, 50)

    message = str(refused.value)
    assert "already granted 50 credits" in message and f"ledger entry #{earlier.pk}" in message
    assert "--again" in message
    assert balance(user) == 50 and CreditTransaction.objects.filter(user=user).count() == 1


def test_it_grants_the_same_again_when_told_again():
    user = make_user()
    grant(user, 50)

    grant(user, 50, again=True)

    assert balance(user) == 100


def test_it_grants_a_different_amount_or_to_another_user_without_again():
    user, other = make_user(), make_user()
    grant(user, 50)

    grant(user, 51)
    grant(other, 50)

    assert (balance(user), balance(other)) == (101, 50)


def test_it_grants_the_same_again_after_ten_minutes():
    user = make_user()
    grant(user, 50)
    CreditTransaction.objects.filter(user=user).update(
        created_at=CreditTransaction.objects.get(user=user).created_at - timedelta(minutes=11)
    )

    grant(user, 50)

    assert balance(user) == 100


def test_it_does_not_count_a_revoke_or_a_purchase_as_an_earlier_grant():
    user = make_user(credits=100)  # a grant of 100 by the test set-up, through the ledger
    CreditTransaction.objects.filter(user=user).update(kind=Kind.PURCHASE)
    call_command("revoke_credits", str(user.telegram_id), "50", reason="mistake")

    grant(user, 100)
    call_command("revoke_credits", str(user.telegram_id), "50", reason="mistake, again")

    assert balance(user) == 100


def test_it_lets_a_key_decide_a_repeat_without_again():
    user = make_user()
    grant(user, 50, key="ticket-7")

    said = grant(user, 50, key="ticket-7")

    assert "already done with key" in said and balance(user) == 50


def test_it_records_the_operator_named_by_by_in_the_reason_the_actor_and_the_output():
    user = make_user()
    alice = User.objects.create_user("alice", is_staff=True)

    said = grant(user, 50, by="alice")

    entry = CreditTransaction.objects.get(user=user)
    assert (entry.reason, entry.actor) == ("ticket 7 (by alice)", alice)
    assert "by alice" in said


def test_it_names_an_operator_without_a_staff_account_in_the_reason_only():
    user = make_user()
    User.objects.create_user("bob", is_staff=False)

    grant(user, 50, by="bob")

    entry = CreditTransaction.objects.get(user=user)
    assert (entry.reason, entry.actor) == ("ticket 7 (by bob)", None)


def test_it_takes_the_login_user_when_by_is_not_given(monkeypatch):
    user = make_user()
    monkeypatch.setattr(getpass, "getuser", lambda: "deploy")

    said = grant(user, 50)

    assert CreditTransaction.objects.get(user=user).reason == "ticket 7 (by deploy)"
    assert "by deploy" in said


def test_it_records_the_operator_of_a_revoke():
    user = make_user(credits=30)
    carol = User.objects.create_user("carol", is_staff=True)

    said = call_command("revoke_credits", str(user.telegram_id), "10", reason="granted twice", by="carol")

    entry = CreditTransaction.objects.get(user=user, kind=Kind.MANUAL_REVOKE)
    assert (entry.amount, entry.reason, entry.actor) == (-10, "granted twice (by carol)", carol)
    assert "by carol" in said and balance(user) == 20


def test_it_records_the_operator_of_a_refund():
    user = make_user(credits=30)
    (generation,) = make_generations(user, cost=10)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.FAILED)
    dave = User.objects.create_user("dave", is_staff=True)

    said = call_command("refund_generation", str(generation.pk), reason="blank result", by="dave")

    entry = CreditTransaction.objects.get(kind=Kind.GENERATION_REFUND)
    assert (entry.reason, entry.actor) == ("blank result (by dave)", dave)
    assert "by dave" in said and balance(user) == 30


def test_it_still_requires_a_reason_for_a_refund_when_the_operator_is_named():
    user = make_user(credits=30)
    (generation,) = make_generations(user, cost=10)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.FAILED)

    with pytest.raises(CommandError, match="A reason is required"):
        call_command("refund_generation", str(generation.pk), reason="  ", by="dave")

    assert not CreditTransaction.objects.filter(kind=Kind.GENERATION_REFUND).exists()
