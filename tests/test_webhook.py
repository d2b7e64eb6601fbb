import logging

import pytest

from accounts.models import TelegramUser
from botapp import texts
from botapp.models import ProcessedUpdate
from tests.chat import fixture


@pytest.mark.parametrize("secret", ["", "wrong", "test-webhook-secret_012345678"])
def test_it_refuses_a_delivery_with_a_wrong_secret_and_records_nothing(chat, secret):
    response = chat.post(chat.message_update(text="/start"), secret=secret)

    assert response.status_code == 403
    assert not ProcessedUpdate.objects.exists() and not TelegramUser.objects.exists()
    assert chat.sent() == []


def test_it_refuses_a_delivery_without_the_secret_header(chat, bot_server):
    import httpx

    response = httpx.post(bot_server.webhook_url, json=chat.message_update(text="/start"))

    assert response.status_code == 403 and not ProcessedUpdate.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[1, 2]",
        b'"text"',
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": -1}',
        b'{"update_id": 99999999999999999999}',
        b'{"update_id": 5, "message": "junk"}',
        b"\xff\xfe",
    ],
)
def test_it_answers_400_to_a_body_that_is_not_an_update(chat, body):
    response = chat.post(body)

    assert response.status_code == 400
    assert chat.sent() == []


def test_it_refuses_other_methods(chat, bot_server):
    import httpx

    assert httpx.get(bot_server.webhook_url).status_code == 405


def test_it_handles_a_redelivered_update_once(chat):
    update = chat.message_update(text="/start")

    assert chat.post(update).status_code == 200
    assert chat.post(update).status_code == 200

    assert len(chat.replies()) == 1
    assert ProcessedUpdate.objects.filter(update_id=update["update_id"]).count() == 1


def test_it_answers_200_and_apologises_when_a_handler_fails(chat, monkeypatch, caplog):
    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(texts, "balance", broken)
    update = chat.message_update(text="/balance")

    with caplog.at_level(logging.ERROR, logger="botapp.handlers"):
        response = chat.post(update)

    assert response.status_code == 200
    assert "что-то пошло не так" in chat.last_reply()
    assert f"update {update['update_id']}: handler failed" in caplog.text


@pytest.mark.parametrize(
    "name",
    [
        "start",
        "start_en",
        "text",
        "photo",
        "photo_with_caption",
        "document_image",
        "document_pdf",
        "document_huge",
        "sticker",
        "voice",
        "callback_query",
        "edited_message",
        "my_chat_member_kicked",
        "group_message",
    ],
)
def test_it_accepts_every_recorded_update(chat, name):
    response = chat.post(fixture(name))

    assert response.status_code == 200


def test_it_remembers_that_the_user_blocked_the_bot(chat):
    chat.send("/start")

    chat.post(fixture("my_chat_member_kicked"))

    assert TelegramUser.objects.get(telegram_id=111222333).bot_blocked_at is not None


def test_it_tells_group_chats_it_works_in_private_only(chat):
    update = fixture("group_message")
    update["message"]["text"] = "/start"
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]

    chat.post(update)

    group_id = update["message"]["chat"]["id"]
    assert "только в личных сообщениях" in chat.telegram.texts(chat_id=group_id)[-1]
    assert not TelegramUser.objects.exists()
