"""The user's page in the admin: who they are can't be retyped or invented, it shows what support asks
about (the receipt email, where the seller is in the bot), and it offers block or unblock, never both."""

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import translation

from accounts.models import TelegramUser
from botapp import steps
from botapp.models import FlowState
from tests.factories import make_user
from tests.staff import act
from tests.test_admin_users import _submitted

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"


def change_url(user):
    return f"{USERS}{user.pk}/change/"


def test_it_shows_the_telegram_id_read_only(admin_client):
    user = make_user(telegram_id=7770001, first_name="Old")
    page = admin_client.get(change_url(user))

    saved = admin_client.post(change_url(user), {**_submitted(page), "telegram_id": "7770999", "first_name": "New"})

    assert 'name="telegram_id"' not in page.content.decode() and "7770001" in page.content.decode()
    assert saved.status_code == 302
    user.refresh_from_db()
    assert (user.telegram_id, user.first_name) == (7770001, "New")


def test_it_adds_no_telegram_user_by_hand(admin_client):
    page = admin_client.get(USERS)
    form = admin_client.get(f"{USERS}add/")
    crafted = admin_client.post(f"{USERS}add/", {"telegram_id": "7770002", "first_name": "Nobody"})

    assert f"{USERS}add/" not in page.content.decode()
    assert form.status_code == 403 and crafted.status_code == 403
    assert not TelegramUser.objects.filter(telegram_id=7770002).exists()


def test_it_shows_the_receipt_email(client, support):
    user = make_user(email="seller@example.ru")

    html = client.get(change_url(user)).content.decode().lower()

    assert "seller@example.ru" in html and "email для чеков" in html


def test_it_shows_the_step_in_plain_words_and_when_it_changed(client, support):
    user = make_user()
    FlowState.objects.create(user=user, step="template", draft={"kind": "video"})

    html = client.get(change_url(user)).content.decode().lower()

    assert "шаг в боте" in html and "выбирает шаблон" in html and "шаг изменён" in html
    assert ">template<" not in html


def test_it_shows_a_user_who_never_started_as_at_the_menu(client, support):
    user = make_user()

    html = client.get(change_url(user)).content.decode()

    assert "в главном меню" in html and "None" not in html


def test_it_names_every_step_of_the_flow_in_russian():
    with translation.override("ru"):
        names = {step: str(FlowState(step=step).step_name) for step in (*steps.STEPS, "email", "promo", "idle")}

    assert all(name != step and any("а" <= c <= "я" for c in name) for step, name in names.items())
    assert len(set(names.values())) == len(names)


def object_buttons(client, user):
    return {name for name, _label in client.get(change_url(user)).context["object_actions"]}


def test_it_offers_block_to_an_unblocked_user_and_unblock_to_a_blocked_one(client, support):
    free, blocked = make_user(), make_user(is_blocked=True)

    free_buttons, blocked_buttons = object_buttons(client, free), object_buttons(client, blocked)

    assert "block_users" in free_buttons and "unblock_users" not in free_buttons
    assert "unblock_users" in blocked_buttons and "block_users" not in blocked_buttons
    assert {"grant_credits", "revoke_credits", "send_message"} <= free_buttons & blocked_buttons


def test_it_blocks_only_the_selected_users_who_are_not_blocked(client, support):
    free, blocked = make_user(), make_user(is_blocked=True)

    page, done = act(client, USERS, "block_users", [free, blocked], reason="chargebacks")

    assert str(free) in page.content.decode() and str(blocked) not in page.content.decode()
    assert TelegramUser.objects.get(pk=free.pk).is_blocked
    assert [entry.object_id for entry in LogEntry.objects.all()] == [str(free.pk)]


def test_it_unblocks_only_the_selected_users_who_are_blocked(client, support):
    free, blocked = make_user(), make_user(is_blocked=True)

    page, _done = act(client, USERS, "unblock_users", [free, blocked], reason="sorted out")

    assert str(blocked) in page.content.decode() and str(free) not in page.content.decode()
    assert not TelegramUser.objects.get(pk=blocked.pk).is_blocked
    assert [entry.object_id for entry in LogEntry.objects.all()] == [str(blocked.pk)]


def test_it_says_when_none_of_the_selected_users_can_be_unblocked(client, support):
    free = make_user()

    page, _done = act(client, USERS, "unblock_users", [free], reason="sorted out")

    assert "Ни один из выбранных пользователей не заблокирован." in page.content.decode()
    assert not LogEntry.objects.exists()
