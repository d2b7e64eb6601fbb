import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from tests.factories import make_user
from tests.staff import act, resubmit, said

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"
Kind = CreditTransaction.Kind


def test_it_asks_for_an_amount_and_a_reason_before_granting(client, support):
    user = make_user()

    page = client.post(USERS, {"action": "grant_credits", "_selected_action": [user.pk]})
    refused = client.post(
        USERS,
        {
            "action": "grant_credits",
            "_selected_action": [user.pk],
            "apply": "1",
            "key": page.context["form"]["key"].value(),
            "amount": "50",
            "reason": "",
        },
    )

    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert 'name="amount"' in page.content.decode() and 'type="hidden" name="key"' in page.content.decode()
    assert refused.status_code == 200 and list(refused.context["form"].errors) == ["reason"]
    assert TelegramUser.objects.get(pk=user.pk).balance == 0


def test_it_grants_through_the_ledger_with_who_and_why(client, support):
    user = make_user()

    _, done = act(client, USERS, "grant_credits", [user], amount="50", reason="the video was blurry")

    entry = CreditTransaction.objects.get(user=user)
    assert (entry.kind, entry.amount, entry.actor, entry.reason) == (
        Kind.MANUAL_GRANT,
        50,
        support,
        "the video was blurry",
    )
    assert TelegramUser.objects.get(pk=user.pk).balance == 50
    assert any("начислено кредитов: 50, баланс 50" in text for text in said(done))
    log = LogEntry.objects.get(object_id=str(user.pk))
    assert (log.user, log.get_change_message()) == (
        support,
        "Начислено кредитов: 50. Причина: the video was blurry",
    )


def test_it_grants_once_when_the_same_form_is_submitted_twice(client, support):
    user = make_user()

    page, _ = act(client, USERS, "grant_credits", [user], amount="50", reason="goodwill")
    again = resubmit(client, USERS, "grant_credits", [user], page, amount="50", reason="goodwill")

    assert TelegramUser.objects.get(pk=user.pk).balance == 50
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert any("уже применена" in text for text in said(again))
    assert ledger.find_mismatches() == []


def test_it_grants_again_from_a_new_form(client, support):
    user = make_user()

    act(client, USERS, "grant_credits", [user], amount="50", reason="goodwill")
    act(client, USERS, "grant_credits", [user], amount="5", reason="and a little more")

    assert TelegramUser.objects.get(pk=user.pk).balance == 55


def test_it_grants_each_selected_user_once(client, support):
    first, second = make_user(), make_user()

    act(client, USERS, "grant_credits", [first, second], amount="7", reason="outage compensation")

    assert [TelegramUser.objects.get(pk=u.pk).balance for u in (first, second)] == [7, 7]


def test_it_revokes_with_who_and_why(client, support):
    user = make_user(credits=40)

    act(client, USERS, "revoke_credits", [user], amount="15", reason="granted twice by mistake")

    entry = CreditTransaction.objects.get(user=user, kind=Kind.MANUAL_REVOKE)
    assert (entry.amount, entry.actor, entry.reason) == (-15, support, "granted twice by mistake")
    assert TelegramUser.objects.get(pk=user.pk).balance == 25


def test_it_refuses_to_revoke_more_than_the_balance_with_a_clear_message(client, support):
    user = make_user(credits=10)

    _, done = act(client, USERS, "revoke_credits", [user], amount="11", reason="mistake")

    assert any("ничего не списано" in text and "нужно 11, есть 10" in text for text in said(done))
    assert TelegramUser.objects.get(pk=user.pk).balance == 10
    assert not CreditTransaction.objects.filter(kind=Kind.MANUAL_REVOKE).exists()
    assert not LogEntry.objects.exists()


def test_it_starts_a_grant_from_the_users_page_and_returns_there(client, support):
    user = make_user()
    change = f"{USERS}{user.pk}/change/"

    page = client.get(change)
    form = client.post(USERS, {"action": "grant_credits", "_selected_action": [user.pk], "_next": change})
    done = client.post(
        USERS,
        {
            "action": "grant_credits",
            "_selected_action": [user.pk],
            "_next": change,
            "apply": "1",
            "key": form.context["form"]["key"].value(),
            "amount": "3",
            "reason": "asked in chat",
        },
    )

    assert 'name="action" value="grant_credits"' in page.content.decode()
    assert f'name="_next" value="{change}"' in form.content.decode()
    assert done.status_code == 302 and done.url == change
    assert TelegramUser.objects.get(pk=user.pk).balance == 3


def test_it_never_returns_to_another_site(client, support):
    user = make_user()
    form = client.post(USERS, {"action": "grant_credits", "_selected_action": [user.pk]})

    done = client.post(
        USERS,
        {
            "action": "grant_credits",
            "_selected_action": [user.pk],
            "apply": "1",
            "_next": "https://evil.example.com/",
            "key": form.context["form"]["key"].value(),
            "amount": "3",
            "reason": "asked in chat",
        },
    )

    assert done.status_code == 302 and done.url == USERS


def test_it_grants_nothing_from_a_form_without_its_key(client, support):
    user = make_user()

    page = client.post(
        USERS,
        {
            "action": "grant_credits",
            "_selected_action": [user.pk],
            "apply": "1",
            "key": "not-a-key",
            "amount": "50",
            "reason": "goodwill",
        },
    )

    assert page.status_code == 200 and list(page.context["form"].errors) == ["key"]
    assert 'class="errorlist' in page.content.decode()
    assert TelegramUser.objects.get(pk=user.pk).balance == 0
