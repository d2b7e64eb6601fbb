"""Huge grants are a clear refusal, never a 500; the balance is wide enough for any sane sum."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from tests.factories import make_user
from tests.staff import act, said

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"


def balance(user):
    return TelegramUser.objects.values_list("balance", flat=True).get(pk=user.pk)


@pytest.mark.parametrize("action", ["grant_credits", "revoke_credits"])
@pytest.mark.parametrize("amount", [2**31, 10**20])
def test_it_answers_a_huge_amount_with_a_form_error(client, support, action, amount):
    user = make_user(credits=5)

    page, done = act(client, USERS, action, [user], amount=str(amount), reason="typo")

    assert done.status_code == 200 and list(done.context["form"].errors) == ["amount"]
    assert "2,000,000,000" in done.content.decode() or "2000000000" in done.content.decode()
    assert balance(user) == 5 and CreditTransaction.objects.count() == 1


@pytest.mark.postgres
def test_it_grants_billions_in_total(client, support):
    user = make_user()

    act(client, USERS, "grant_credits", [user], amount="1500000000", reason="a partner's prepaid pool")
    _, done = act(client, USERS, "grant_credits", [user], amount="1500000000", reason="and its second half")

    assert balance(user) == 3_000_000_000
    assert any("баланс 3000000000" in text for text in said(done))
    assert CreditTransaction.objects.filter(user=user).latest("pk").balance_after == 3_000_000_000
    assert ledger.find_mismatches() == []


def test_it_refuses_a_grant_the_balance_can_not_hold_with_a_message(client, support):
    user = make_user(credits=ledger.MAX_BALANCE - 5)

    _, done = act(client, USERS, "grant_credits", [user], amount="10", reason="goodwill")

    assert done.status_code == 200
    assert any("ничего не начислено" in text and "не вместит ещё 10" in text for text in said(done))
    assert balance(user) == ledger.MAX_BALANCE - 5 and CreditTransaction.objects.filter(user=user).count() == 1
    assert ledger.find_mismatches() == []


@pytest.mark.parametrize("command", ["grant_credits", "revoke_credits"])
@pytest.mark.parametrize("amount", [str(2**31), str(10**20)])
def test_it_refuses_a_huge_amount_on_the_command_line(command, amount):
    user = make_user(credits=5)

    with pytest.raises(CommandError, match="at most 2,000,000,000 at once"):
        call_command(command, str(user.telegram_id), amount, reason="typo")

    assert balance(user) == 5 and CreditTransaction.objects.count() == 1


def test_it_refuses_a_command_grant_the_balance_can_not_hold():
    user = make_user(credits=ledger.MAX_BALANCE - 5)

    with pytest.raises(CommandError, match="can't hold 10 more"):
        call_command("grant_credits", str(user.telegram_id), "10", reason="goodwill")

    assert balance(user) == ledger.MAX_BALANCE - 5
