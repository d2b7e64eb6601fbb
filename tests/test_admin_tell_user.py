"""A grant or a revoke from the admin tells the user once, in their language, when staff leave
«Сообщить пользователю» on; the staff's reason stays with staff."""

import pytest
from django.utils import timezone

from accounts.models import TelegramUser
from tests.factories import make_user
from tests.staff import act, resubmit, said

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"


def told(telegram, user):
    return [call.params["text"] for call in telegram.requests("sendMessage", chat_id=user.telegram_id)]


def test_it_offers_to_tell_the_user_ticked(client, support):
    user = make_user()

    page = client.post(USERS, {"action": "grant_credits", "_selected_action": [user.pk]})

    assert page.context["form"]["tell_user"].value() is True
    assert 'name="tell_user"' in page.content.decode() and "checked" in str(page.context["form"]["tell_user"])


def test_it_tells_a_russian_user_of_a_grant_without_the_reason(client, support, workers):
    user = make_user(credits=5, language_code="ru")

    _, done = act(client, USERS, "grant_credits", [user], amount="50", reason="ticket 123", tell_user="on")

    assert told(workers.telegram, user) == ["Поддержка начислила вам 50 кредитов. Баланс: 55 кредитов."]
    assert any("пользователю сообщено" in text for text in said(done))


def test_it_tells_an_english_user_of_a_revoke(client, support, workers):
    user = make_user(credits=40, language_code="en-GB")

    act(client, USERS, "revoke_credits", [user], amount="15", reason="granted twice", tell_user="on")

    assert told(workers.telegram, user) == ["Support has taken 15 credits from your balance. Balance: 25 credits."]


def test_it_tells_a_russian_user_of_a_revoke(client, support, workers):
    user = make_user(credits=22)

    act(client, USERS, "revoke_credits", [user], amount="1", reason="granted twice", tell_user="on")

    assert told(workers.telegram, user) == ["Поддержка списала с вашего баланса 1 кредит. Баланс: 21 кредит."]


def test_it_tells_nobody_when_staff_untick_it(client, support, workers):
    user = make_user()

    _, done = act(client, USERS, "grant_credits", [user], amount="50", reason="quiet fix")

    assert TelegramUser.objects.get(pk=user.pk).balance == 50
    assert told(workers.telegram, user) == []
    assert not any("сообщено" in text for text in said(done))


def test_it_tells_once_when_the_form_is_submitted_twice(client, support, workers):
    user = make_user()

    page, _ = act(client, USERS, "grant_credits", [user], amount="50", reason="goodwill", tell_user="on")
    resubmit(client, USERS, "grant_credits", [user], page, amount="50", reason="goodwill", tell_user="on")

    assert TelegramUser.objects.get(pk=user.pk).balance == 50
    assert len(told(workers.telegram, user)) == 1


def test_it_tells_nobody_when_nothing_was_revoked(client, support, workers):
    user = make_user(credits=10)

    act(client, USERS, "revoke_credits", [user], amount="11", reason="mistake", tell_user="on")

    assert TelegramUser.objects.get(pk=user.pk).balance == 10
    assert told(workers.telegram, user) == []


def test_it_tells_each_selected_user_in_their_own_language(client, support, workers):
    russian, english = make_user(language_code="ru"), make_user(language_code="en")

    act(client, USERS, "grant_credits", [russian, english], amount="3", reason="outage", tell_user="on")

    assert told(workers.telegram, russian) == ["Поддержка начислила вам 3 кредита. Баланс: 3 кредита."]
    assert told(workers.telegram, english) == ["Support has added 3 credits to your balance. Balance: 3 credits."]


def test_it_says_the_user_was_not_told_when_they_blocked_the_bot(client, support, workers):
    user = make_user(bot_blocked_at=timezone.now())

    _, done = act(client, USERS, "grant_credits", [user], amount="5", reason="goodwill", tell_user="on")

    assert TelegramUser.objects.get(pk=user.pk).balance == 5
    assert told(workers.telegram, user) == []
    assert any("не сообщено, он заблокировал бота" in text for text in said(done))


def test_it_says_the_user_was_not_told_when_telegram_says_they_blocked_the_bot(client, support, workers):
    user = make_user()
    workers.telegram.block(user.telegram_id)

    _, done = act(client, USERS, "grant_credits", [user], amount="5", reason="goodwill", tell_user="on")

    assert TelegramUser.objects.get(pk=user.pk).balance == 5
    assert any("не сообщено, он заблокировал бота" in text for text in said(done))
