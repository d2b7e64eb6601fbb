import pytest

from accounts.models import TelegramUser
from messaging import sender
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_it_waits_as_long_as_telegram_asks_and_sends_once(workers, monkeypatch):
    pauses = []
    monkeypatch.setattr(sender.time, "sleep", pauses.append)
    workers.telegram.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 3", retry_after=3)

    sender.send_message(777, "hello")

    assert 3.0 in pauses
    assert workers.telegram.texts(chat_id=777) == ["hello"]


def test_it_gives_up_rather_than_sleep_through_a_long_retry_after(workers, monkeypatch):
    pauses = []
    monkeypatch.setattr(sender.time, "sleep", pauses.append)
    workers.telegram.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 3600", retry_after=3600
    )

    with pytest.raises(sender.SendFailed):
        sender.send_message(786, "hello")

    assert all(pause <= sender.MAX_RETRY_AFTER for pause in pauses)
    assert workers.telegram.texts(chat_id=786) == []


def test_it_stops_for_good_at_a_user_who_blocked_the_bot(workers):
    user = make_user(telegram_id=778)
    workers.telegram.block(778)

    assert sender.send_message(778, "hello") is None

    assert TelegramUser.objects.get(pk=user.pk).bot_blocked_at is not None


def test_it_keeps_a_chat_to_one_message_a_second(workers, settings):
    settings.TELEGRAM_CHAT_INTERVAL_SECONDS = 1.0

    for text in ("one", "two", "three"):
        sender.send_message(779, text)

    times = [call.at for call in workers.telegram.requests("sendMessage", chat_id=779)]
    # Slots are a second apart; arrival adds a little jitter either way.
    assert times[2] - times[0] >= 1.9 and min(times[1] - times[0], times[2] - times[1]) >= 0.8


def test_it_gives_up_on_a_request_telegram_refuses(workers):
    workers.telegram.fail_next("sendMessage", status=400, description="Bad Request: chat not found")

    assert sender.send_message(780, "hello") is None
