from decimal import Decimal

import pytest

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditPack, Payment
from tests.concurrency import race


@pytest.fixture
def pack(transactional_db):
    return CreditPack.objects.create(name="Seller", credits=100, price_rub=Decimal("890.00"), price_stars=450)


def buy_with_stars(chat, pack):
    chat.send("/start")
    chat.tap(f"buy:{pack.pk}:st")
    return Payment.objects.get()


def pre_checkout(chat, payment, *, amount=450, currency="XTR"):
    return {
        "update_id": chat.message_update()["update_id"],
        "pre_checkout_query": {
            "id": f"pcq-{payment.pk.hex[:8]}",
            "from": chat.user,
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": str(payment.pk),
        },
    }


def successful(chat, payment, *, charge="stxCHARGE123"):
    return chat.message_update(
        successful_payment={
            "currency": "XTR",
            "total_amount": int(payment.amount),
            "invoice_payload": str(payment.pk),
            "telegram_payment_charge_id": charge,
            "provider_payment_charge_id": charge,
        }
    )


def test_it_lists_the_packs_with_a_button_for_each_method(chat, pack):
    chat.send("/buy")

    reply = chat.last_reply()
    assert "Seller: 100 кредитов — 890 ₽ или 450 ⭐" in reply
    assert chat.buttons() == ["Seller · 890 ₽", "Seller · 450 ⭐", "🎁 У меня промокод"]


def test_it_sends_a_stars_invoice_for_our_payment(chat, pack):
    payment = buy_with_stars(chat, pack)

    invoice = chat.telegram.requests("sendInvoice")[-1]
    assert invoice.params["currency"] == "XTR" and invoice.params["payload"] == str(payment.pk)
    assert invoice.params["prices"] == [{"label": "Seller", "amount": 450}]
    assert not invoice.params.get("provider_token")
    assert (payment.method, payment.status, payment.amount, payment.currency, payment.credits) == (
        "stars",
        "pending",
        Decimal("450.00"),
        "XTR",
        100,
    )


def test_it_approves_a_good_pre_checkout_at_once(chat, pack):
    payment = buy_with_stars(chat, pack)

    chat.post(pre_checkout(chat, payment))

    answer = chat.telegram.requests("answerPreCheckoutQuery")[-1]
    assert answer.params["ok"] is True


@pytest.mark.parametrize(
    "spoil, reason",
    [
        (lambda pack, payment: CreditPack.objects.filter(pk=pack.pk).update(is_active=False), "больше не продаётся"),
        (lambda pack, payment: TelegramUser.objects.update(is_blocked=True), "приостановлен"),
    ],
)
def test_it_refuses_a_pre_checkout_that_is_no_longer_good(chat, pack, spoil, reason):
    payment = buy_with_stars(chat, pack)
    spoil(pack, payment)

    chat.post(pre_checkout(chat, payment))

    answer = chat.telegram.requests("answerPreCheckoutQuery")[-1]
    assert answer.params["ok"] is False and reason in answer.params["error_message"]


def test_it_refuses_a_pre_checkout_for_another_amount(chat, pack):
    payment = buy_with_stars(chat, pack)

    chat.post(pre_checkout(chat, payment, amount=1))

    assert chat.telegram.requests("answerPreCheckoutQuery")[-1].params["ok"] is False


def test_it_credits_a_stars_payment_once_when_telegram_delivers_it_twice(chat, pack):
    payment = buy_with_stars(chat, pack)
    chat.replies()

    chat.post(successful(chat, payment))
    chat.post(successful(chat, payment))

    assert chat.replies() == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]
    payment.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == ("succeeded", "stxCHARGE123")
    assert TelegramUser.objects.get().balance == 100
    assert ledger.find_mismatches() == []


@pytest.mark.postgres
def test_it_credits_once_when_two_deliveries_race(chat, pack):
    payment = buy_with_stars(chat, pack)
    updates = [successful(chat, payment), successful(chat, payment)]

    race(lambda update: chat.post(update), threads=2, args_for=lambda i: (updates[i],))

    assert TelegramUser.objects.get().balance == 100
    assert ledger.find_mismatches() == []


def test_it_limits_purchases_started_an_hour(chat, pack, settings):
    settings.RATE_LIMIT_TOPUP_PER_HOUR = 2
    chat.send("/start")
    for _ in range(3):
        chat.tap(f"buy:{pack.pk}:st")

    assert Payment.objects.count() == 2
    assert "не больше 2 покупок в час" in chat.last_reply()


def test_it_explains_payments_and_refunds(chat):
    chat.send("/paysupport")

    reply = chat.last_reply()
    assert "Оплата и возвраты" in reply and "Stars" in reply
