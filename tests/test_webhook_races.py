"""Telegram redelivers and users double-tap: updates racing through the live server at once."""

import pytest

from billing import ledger
from billing.models import CreditTransaction
from botapp.models import FlowState, ProcessedUpdate
from generations.models import Generation
from tests.concurrency import race
from tests.factories import give_credits

pytestmark = pytest.mark.postgres


def test_it_handles_one_update_delivered_10_times_at_once_once(chat):
    chat.send("/start")
    chat.replies()
    update = chat.message_update(text="/balance")

    outcomes = race(lambda: chat.post(update), threads=10)

    assert [response.status_code for response, _ in outcomes] == [200] * 10
    assert len(chat.replies()) == 1
    assert ProcessedUpdate.objects.filter(update_id=update["update_id"]).count() == 1


def test_it_keeps_the_flow_consistent_when_two_updates_of_one_user_race(chat):
    chat.send("/start")
    chat.tap("menu:video")
    chat.send_photo()
    chat.replies()
    first, second = chat.message_update(text="Кружка синяя"), chat.message_update(text="Кружка красная")

    race(lambda update: chat.post(update), threads=2, args_for=lambda i: ((first, second)[i],))

    flow = FlowState.objects.get(user__telegram_id=chat.id)
    assert flow.step == "template" and flow.draft["description"] in ("Кружка синяя", "Кружка красная")
    replies = chat.replies()
    assert len(replies) == 2
    # One update took the description; the other found the template step and was asked to use the buttons.
    assert sum("Выберите шаблон для видео" in reply for reply in replies) == 1
    assert sum("кнопками ниже" in reply for reply in replies) == 1


def test_it_makes_one_order_when_confirm_is_pressed_twice_at_once(chat):
    chat.send("/start")
    give_credits(chat.id, 100)
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Кружка ручной работы")
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:3")
    chat.replies()
    confirm = chat.last_keyboard()[0][0]["callback_data"]
    taps = [chat.tap_update(confirm), chat.tap_update(confirm)]

    race(lambda update: chat.post(update), threads=2, args_for=lambda i: (taps[i],))

    assert Generation.objects.count() == 3
    assert CreditTransaction.objects.filter(kind="generation_charge").count() == 3
    assert len(chat.replies()) == 1
    assert ledger.find_mismatches() == []


def test_it_serves_different_users_in_parallel(new_chat):
    chats = [new_chat(user_id=5000 + i) for i in range(8)]

    outcomes = race(lambda c: c.post(c.message_update(text="/start")), threads=8, args_for=lambda i: (chats[i],))

    assert [response.status_code for response, _ in outcomes] == [200] * 8
    assert all(len(c.replies()) == 1 for c in chats)
