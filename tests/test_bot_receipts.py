import pytest

from accounts.models import TelegramUser
from billing.models import Payment


@pytest.fixture
def receipts(chat, shop, settings):
    settings.YOOKASSA_RECEIPTS = True
    shop.yookassa.receipts_required = True
    chat.send("/start")
    return shop


def test_it_asks_for_the_email_first_and_sends_a_valid_receipt(chat, receipts):
    chat.tap(f"buy:{receipts.pack.pk}:yk")
    assert "54-ФЗ" in chat.last_reply()
    assert not Payment.objects.exists()

    chat.send("не почта")
    assert "name@example.com" in chat.last_reply()

    chat.send("anna@example.com")

    # The link comes from the checkout task, in whichever order with the step's own reply.
    replies = chat.replies()
    assert len(replies) == 2 and any("anna@example.com" in text for text in replies)
    assert any("Пакет «Seller»" in text for text in replies)
    assert pay_buttons(chat) == ["Оплатить 890 ₽"]
    assert TelegramUser.objects.get(telegram_id=chat.id).email == "anna@example.com"
    receipt = receipts.yookassa.requests("POST", "/v3/payments")[0].body["receipt"]
    assert receipt["customer"] == {"email": "anna@example.com"}
    (item,) = receipt["items"]
    assert item["amount"] == {"value": "890.00", "currency": "RUB"} and item["vat_code"] == 1
    assert (item["payment_mode"], item["payment_subject"]) == ("full_prepayment", "service")


def test_it_remembers_the_email_and_lets_the_buyer_change_it(chat, receipts):
    TelegramUser.objects.filter(telegram_id=chat.id).update(email="old@example.com")

    chat.tap(f"buy:{receipts.pack.pk}:yk")
    assert "Оплатить" in chat.last_keyboard()[0][0]["text"]
    chat.send("/email")
    assert "old@example.com" in chat.last_reply()
    chat.send("new@example.com")

    assert TelegramUser.objects.get(telegram_id=chat.id).email == "new@example.com"


def pay_buttons(chat):
    return [
        button["text"]
        for call in chat.sent()
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if "url" in button
    ]
