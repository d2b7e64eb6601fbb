"""The Telegram fake, driven by a real python-telegram-bot client over HTTP."""

import asyncio
import datetime as dtm
import json
import time
from pathlib import Path

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter

from tests.fakes.telegram import FakeTelegram

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
CHAT = 111222333
# A 1x1 PNG: small, but a real image whose size the fake can read.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f1c9a40000000049454e44ae426082"
)


# PTB strips "Bad Request: " and capitalize()s the rest, so "STARS_INVOICE_INVALID" arrives as
# "Stars_invoice_invalid": match error texts case-insensitively.


@pytest.fixture
def fake():
    with FakeTelegram() as running:
        yield running


def bot_for(fake, token=FakeTelegram.TOKEN):
    return telegram.Bot(token, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot")


def with_bot(fake, use, token=FakeTelegram.TOKEN):
    """Run `use(bot)` in a fresh event loop with an initialised Bot, as a worker task would."""

    async def run():
        async with bot_for(fake, token) as bot:
            return await use(bot)

    return asyncio.run(run())


def test_it_answers_get_me_with_the_bot_of_the_token(fake):
    me = with_bot(fake, lambda bot: bot.get_me())

    assert (me.id, me.is_bot, me.username, me.first_name) == (123456789, True, "neurocards_test_bot", "NeuroCards")
    assert fake.requests("getme")[0].status == 200


def test_it_round_trips_an_inline_keyboard_and_numbers_messages_per_chat(fake):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("🎬 Видео", callback_data="menu:video")]])

    async def send(bot):
        first = await bot.send_message(CHAT, "Что сделаем?", reply_markup=keyboard)
        second = await bot.send_message(CHAT, "Ещё раз")
        elsewhere = await bot.send_message(222, "Привет")
        return first, second, elsewhere

    first, second, elsewhere = with_bot(fake, send)

    assert first.reply_markup == keyboard
    assert (first.chat.id, first.from_user.is_bot, first.text) == (CHAT, True, "Что сделаем?")
    assert (first.message_id, second.message_id, elsewhere.message_id) == (1, 2, 1)
    call = fake.sent(CHAT)[0]
    assert call.params["chat_id"] == CHAT
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "🎬 Видео", "callback_data": "menu:video"}]]}
    assert fake.texts(CHAT) == ["Что сделаем?", "Ещё раз"]


def test_it_edits_a_message_and_refuses_an_edit_that_changes_nothing(fake):
    async def edit(bot):
        message = await bot.send_message(CHAT, "Генерирую…")
        edited = await bot.edit_message_text("Готово", chat_id=CHAT, message_id=message.message_id)
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("Готово", chat_id=CHAT, message_id=message.message_id)
        return edited

    edited = with_bot(fake, edit)

    assert (edited.text, edited.message_id) == ("Готово", 1)
    assert edited.edit_date is not None
    assert fake.texts(CHAT) == ["Генерирую…", "Готово"]


def test_it_stores_an_uploaded_photo_and_serves_it_by_its_new_file_id(fake):
    async def upload_and_download(bot):
        message = await bot.send_photo(CHAT, PNG, caption="Карточка")
        file = await bot.get_file(message.photo[-1].file_id)
        return message, file, await file.download_as_bytearray()

    message, file, downloaded = with_bot(fake, upload_and_download)

    assert bytes(downloaded) == PNG
    assert (message.photo[-1].width, message.photo[-1].height) == (1, 1)
    assert message.caption == "Карточка"
    assert file.file_size == len(PNG)
    # Bytes without a filename reach Telegram named after PTB's fallback MIME type.
    assert fake.sent(CHAT)[0].files["photo"] == ("application.octet-stream", PNG)
    assert fake.texts(CHAT) == ["Карточка"]


def test_it_keeps_binary_uploads_byte_exact(fake):
    awkward = b"\r\n--boundary\r\n" + bytes(range(256)) * 64 + b"\n\r\r\n"

    async def upload(bot):
        message = await bot.send_document(CHAT, awkward, filename="card.pdf")
        file = await bot.get_file(message.document.file_id)
        return message, await file.download_as_bytearray()

    message, downloaded = with_bot(fake, upload)

    assert bytes(downloaded) == awkward
    assert (message.document.file_name, message.document.mime_type) == ("card.pdf", "application/pdf")
    assert fake.sent(CHAT)[0].files["document"] == ("card.pdf", awkward)


def test_it_refuses_files_over_20_mb_and_unknown_file_ids(fake):
    huge = fake.add_file(b"", file_path="documents/file_9.jpg", file_size=26214400)

    async def get(bot):
        with pytest.raises(BadRequest, match="(?i)file is too big"):
            await bot.get_file(huge)
        with pytest.raises(BadRequest, match="(?i)invalid file_id"):
            await bot.get_file("no-such-file")

    with_bot(fake, get)


def test_it_makes_ptb_raise_retry_after_for_a_planned_429(fake, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7)

    async def send(bot):
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(CHAT, "раз")
        await bot.send_message(CHAT, "два")
        return raised.value

    error = with_bot(fake, send)

    assert error.retry_after == dtm.timedelta(seconds=7)
    assert fake.too_many == 1
    assert [call.status for call in fake.requests("sendMessage")] == [429, 200]
    assert fake.texts() == ["два"]


def test_it_makes_ptb_raise_forbidden_for_a_blocked_user(fake):
    fake.block(CHAT)

    async def send(bot):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(CHAT, "Вы тут?")
        fake.unblock(CHAT)
        await bot.send_message(CHAT, "Снова тут")

    with_bot(fake, send)

    assert [call.status for call in fake.requests(chat_id=CHAT)] == [403, 200]


def test_it_rejects_a_wrong_token_as_invalid_token(fake):
    with pytest.raises(InvalidToken):
        with_bot(fake, lambda bot: bot.get_me(), token="987654321:not-our-token")

    assert fake.requests()[0].status == 401


def test_it_rejects_empty_and_too_long_text_and_an_absent_chat(fake):
    async def send(bot):
        with pytest.raises(BadRequest, match="(?i)message text is empty"):
            await bot.send_message(CHAT, "   ")
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await bot.send_message(CHAT, "я" * 4097)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message("@nobody_here", "Привет")
        with pytest.raises(BadRequest, match="(?i)MESSAGE_TOO_LONG"):
            await bot.answer_callback_query("42", text="x" * 201)

    with_bot(fake, send)

    assert fake.sent() == []


def test_it_round_trips_the_webhook_and_rejects_a_bad_secret(fake):
    fake.set_webhook_error("Wrong response from the webhook: 500 Internal Server Error", date=1760000000)

    async def configure(bot):
        with pytest.raises(BadRequest, match="(?i)secret token contains unallowed characters"):
            await bot.set_webhook("https://cards.example.com/tg/", secret_token="not:allowed")
        await bot.set_webhook(
            "https://cards.example.com/tg/",
            secret_token="s3cret_-Token",
            allowed_updates=["message", "callback_query"],
            max_connections=10,
        )
        return await bot.get_webhook_info()

    info = with_bot(fake, configure)

    assert fake.webhook["secret_token"] == "s3cret_-Token"
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
    assert (info.url, info.max_connections, info.allowed_updates) == (
        "https://cards.example.com/tg/",
        10,
        ("message", "callback_query"),
    )
    assert info.has_custom_certificate is False
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


def test_it_refuses_get_updates_while_a_webhook_is_set(fake):
    fake.push_update(json.loads((FIXTURES / "start.json").read_text()))
    fake.push_update(json.loads((FIXTURES / "text.json").read_text()))

    async def poll(bot):
        await bot.set_webhook("https://cards.example.com/tg/")
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates()
        await bot.delete_webhook()
        everything = await bot.get_updates()
        after_first = await bot.get_updates(offset=everything[0].update_id + 1, limit=10)
        return everything, after_first

    everything, after_first = with_bot(fake, poll)

    assert [update.message.text for update in everything] == ["/start", "Керамическая кружка ручной работы, 350 мл"]
    assert [update.update_id for update in after_first] == [everything[1].update_id]


def test_it_answers_429_to_the_sixth_send_in_one_second(fake, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.limit_rate(per_second=5)

    async def send(bot):
        for number in range(5):
            await bot.send_message(CHAT + number, f"сообщение {number}")
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "шестое")

    with_bot(fake, send)

    assert fake.too_many == 1
    assert fake.requests("sendMessage")[-1].status == 429
    assert len(fake.sent()) == 5


def test_it_limits_one_chat_without_slowing_the_others(fake, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.limit_rate(per_chat_per_second=1)

    async def send(bot):
        await bot.send_message(CHAT, "первое")
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "второе")
        await bot.send_message(CHAT + 1, "другой чат")

    with_bot(fake, send)

    assert fake.texts() == ["первое", "другой чат"]


def test_it_sends_a_stars_invoice_and_refuses_a_second_price(fake):
    async def invoice(bot):
        message = await bot.send_invoice(
            CHAT,
            "50 кредитов",
            "Пакет генераций",
            "3f6c2a8e-9b1d-4e7a-a5c3-0d2f8b4e6a91",
            "XTR",
            [LabeledPrice("50 кредитов", 150)],
        )
        with pytest.raises(BadRequest, match="(?i)STARS_INVOICE_INVALID"):
            await bot.send_invoice(
                CHAT,
                "50 кредитов",
                "Пакет",
                "payload",
                "XTR",
                [LabeledPrice("a", 100), LabeledPrice("b", 50)],
            )
        assert await bot.answer_pre_checkout_query("476654321098765432", ok=True)
        assert await bot.refund_star_payment(CHAT, "stxAbCdEf123")
        with pytest.raises(BadRequest, match="(?i)CHARGE_ALREADY_REFUNDED"):
            await bot.refund_star_payment(CHAT, "stxAbCdEf123")
        return message

    message = with_bot(fake, invoice)

    assert (message.invoice.currency, message.invoice.total_amount, message.invoice.start_parameter) == ("XTR", 150, "")
    assert fake.sent(CHAT)[0].params["prices"] == [{"label": "50 кредитов", "amount": 150}]
    assert fake.requests("answerPreCheckoutQuery")[0].params["ok"] is True


def test_it_decodes_json_query_string_and_case_insensitive_method_names(fake):
    api = f"{fake.base_url}/bot{fake.token}"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}

    as_json = httpx.post(f"{api}/SENDMESSAGE", json={"chat_id": CHAT, "text": "json", "reply_markup": markup})
    as_query = httpx.get(f"{api}/sendMessage", params={"chat_id": str(CHAT), "text": "[не JSON]"})
    unknown = httpx.post(f"{api}/sendTelepathy", data={"chat_id": str(CHAT)})

    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_query.json()["result"]["text"] == "[не JSON]"
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found: method not found")
    assert [call.method for call in fake.requests()] == ["sendMessage", "sendMessage", "sendTelepathy"]
    assert fake.texts(CHAT) == ["json", "[не JSON]"]


def test_it_stores_commands_per_language(fake):
    async def commands(bot):
        await bot.set_my_commands([("start", "Начать"), ("balance", "Баланс")], language_code="ru")
        return await bot.get_my_commands(language_code="ru"), await bot.get_my_commands()

    russian, default = with_bot(fake, commands)

    assert [command.command for command in russian] == ["start", "balance"]
    assert default == ()


def test_it_stores_descriptions_per_language_and_refuses_long_ones(fake):
    async def use(bot):
        await bot.set_my_description("Описание")
        await bot.set_my_short_description("Short", language_code="en")
        texts = [
            (await bot.get_my_description()).description,
            (await bot.get_my_description(language_code="en")).description,
            (await bot.get_my_short_description(language_code="en")).short_description,
        ]
        with pytest.raises(BadRequest, match="(?i)description is too long"):
            await bot.set_my_description("x" * 513)
        with pytest.raises(BadRequest, match="(?i)short description is too long"):
            await bot.set_my_short_description("x" * 121)
        with pytest.raises(BadRequest, match="(?i)invalid language code"):
            await bot.set_my_description("Description", language_code="en-GB")
        return texts

    assert with_bot(fake, use) == ["Описание", "", "Short"]
    assert fake.description() == "Описание" and fake.description("short_description", "en") == "Short"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.stem)
def test_it_ships_fixtures_that_parse_as_updates(path):
    data = json.loads(path.read_text(encoding="utf-8"))

    update = Update.de_json(data, telegram.Bot(FakeTelegram.TOKEN))

    assert update.update_id == data["update_id"]
    assert update.effective_user is not None
    assert update.api_kwargs == {}


def test_it_delays_every_answer_by_its_latency():
    with FakeTelegram(latency=0.05) as slow:
        started = time.monotonic()
        response = httpx.get(f"{slow.base_url}/bot{slow.token}/getMe")
        elapsed = time.monotonic() - started

    assert response.json()["ok"] is True
    assert elapsed >= 0.05


def test_it_forgets_calls_failures_and_updates_on_reset_but_keeps_files(fake):
    file_id = fake.add_file(b"bytes")
    fake.fail_next("sendMessage", status=500, description="Internal Server Error")
    fake.push_update({"message": {"message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"}}})
    httpx.get(f"{fake.base_url}/bot{fake.token}/getMe")

    fake.reset()

    sent = httpx.post(f"{fake.base_url}/bot{fake.token}/sendMessage", data={"chat_id": CHAT, "text": "ok"})
    updates = httpx.post(f"{fake.base_url}/bot{fake.token}/getUpdates").json()["result"]
    got = httpx.post(f"{fake.base_url}/bot{fake.token}/getFile", data={"file_id": file_id}).json()["result"]
    assert sent.status_code == 200
    assert updates == []
    assert got["file_path"] == "photos/file_1.jpg"
    assert [call.method for call in fake.calls] == ["sendMessage", "getUpdates", "getFile"]
