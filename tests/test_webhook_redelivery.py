"""An update is recorded with its step's changes: a step that did not commit runs again when Telegram
redelivers it, one that committed is skipped, and the user hears each reply (or apology) once."""

import copy
import time

import pytest
from django.db import OperationalError

from accounts.models import TelegramUser
from botapp import texts
from botapp.models import FlowState, ProcessedUpdate
from tests.chat import fixture
from tests.concurrency import race

BALANCE = "Баланс: <b>0 кредитов</b>"
APOLOGY = "что-то пошло не так"


class ProcessDied(BaseException):
    """What the step sees of a worker killed mid-transaction: nothing after it runs."""


def fail_once(monkeypatch, error):
    real = texts.balance
    calls = []

    def balance(user):
        calls.append(user.pk)
        if len(calls) == 1:
            raise error
        return real(user)

    monkeypatch.setattr(texts, "balance", balance)
    return calls


def test_it_answers_503_on_a_database_error_and_runs_the_step_when_telegram_redelivers(chat, monkeypatch):
    chat.send("/start")
    chat.replies()
    calls = fail_once(monkeypatch, OperationalError("server closed the connection unexpectedly"))
    update = chat.message_update(text="/balance")

    first = chat.post(update)

    assert first.status_code == 503
    assert chat.replies() == [] and not ProcessedUpdate.objects.filter(update_id=update["update_id"]).exists()

    again = chat.post(update)

    assert again.status_code == 200 and len(calls) == 2
    (reply,) = chat.replies()
    assert BALANCE in reply
    assert ProcessedUpdate.objects.filter(update_id=update["update_id"]).count() == 1


def test_it_runs_the_step_again_when_the_process_died_before_commit(chat, monkeypatch):
    chat.send("/start")
    chat.tap("menu:video")
    chat.replies()
    fail_once(monkeypatch, ProcessDied())
    update = chat.message_update(text="/balance")

    first = chat.post(update)  # the step's transaction never committed, and Telegram had no 2xx

    assert first.status_code == 500
    assert not ProcessedUpdate.objects.filter(update_id=update["update_id"]).exists()
    assert FlowState.objects.get(user__telegram_id=chat.id).step != "idle"

    assert chat.post(update).status_code == 200

    (reply,) = chat.replies()
    assert BALANCE in reply and APOLOGY not in reply


def test_it_skips_a_redelivery_of_an_update_whose_step_committed(chat):
    chat.send("/start")
    chat.tap("menu:video")
    chat.replies()
    update = chat.message_update(text="/start")
    assert chat.post(update).status_code == 200
    chat.tap("menu:video")
    chat.replies()

    assert chat.post(update).status_code == 200

    assert chat.replies() == []
    assert FlowState.objects.get(user__telegram_id=chat.id).step != "idle"  # /start did not run twice


def test_it_apologises_once_for_a_step_that_fails_on_a_bug_even_when_redelivered(chat, monkeypatch):
    chat.send("/start")
    chat.replies()

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(texts, "balance", broken)
    update = chat.message_update(text="/balance")

    answers = [chat.post(update).status_code for _ in range(2)]

    assert answers == [200, 200]
    (reply,) = chat.replies()
    assert APOLOGY in reply


def test_it_does_not_let_a_redelivered_block_undo_a_later_unblock(chat):
    chat.send("/start")
    kicked = fixture("my_chat_member_kicked")
    back = copy.deepcopy(kicked)
    back["update_id"] += 1
    back["my_chat_member"]["old_chat_member"], back["my_chat_member"]["new_chat_member"] = (
        back["my_chat_member"]["new_chat_member"],
        back["my_chat_member"]["old_chat_member"],
    )

    for update in (kicked, back, kicked):
        assert chat.post(update).status_code == 200

    assert TelegramUser.objects.get(telegram_id=chat.id).bot_blocked_at is None


def test_it_gives_a_group_its_hint_once_when_telegram_redelivers(chat):
    update = fixture("group_message")
    update["message"]["text"] = "/start"
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]

    for _ in range(2):
        assert chat.post(update).status_code == 200

    assert len(chat.telegram.texts(chat_id=update["message"]["chat"]["id"])) == 1


@pytest.mark.postgres
def test_it_runs_a_waiting_duplicate_when_the_first_delivery_rolls_back(chat, monkeypatch):
    chat.send("/start")
    chat.replies()
    real = texts.balance
    calls = []

    def balance(user):
        calls.append(user.pk)
        if len(calls) == 1:
            time.sleep(0.5)  # the other delivery arrives meanwhile and waits on the update's unique index
            raise OperationalError("deadlock detected")
        return real(user)

    monkeypatch.setattr(texts, "balance", balance)
    update = chat.message_update(text="/balance")

    outcomes = race(lambda: chat.post(update), threads=2)

    assert sorted(response.status_code for response, _ in outcomes) == [200, 503]
    (reply,) = chat.replies()
    assert BALANCE in reply
    assert ProcessedUpdate.objects.filter(update_id=update["update_id"]).count() == 1
