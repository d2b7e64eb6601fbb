"""A Stars payment that doesn't match its invoice is never credited: the Stars go back, once, and the buyer is told."""

import pytest
from django.db import connection

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction, Payment, Refund
from messaging import sender
from tests.concurrency import race
from tests.test_bot_stars import buy_with_stars, pack  # noqa: F401  (the fixture)


def paid(chat, payment, *, amount=1, currency="XTR", charge="stxMISMATCH1"):
    return chat.message_update(
        successful_payment={
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": str(payment.pk),
            "telegram_payment_charge_id": charge,
            "provider_payment_charge_id": charge,
        }
    )


@pytest.fixture
def refunds(workers, monkeypatch):
    """refundStarPayment calls as the fake saw them, each noting whether a transaction was open around it."""
    real, open_transaction = sender.api, []

    def api(method, params):
        if method == "refundStarPayment":
            open_transaction.append(connection.in_atomic_block)
        return real(method, params)

    monkeypatch.setattr(sender, "api", api)
    return lambda: (workers.telegram.requests("refundStarPayment"), open_transaction)


def test_it_refunds_a_payment_that_does_not_match_its_invoice_and_credits_nothing(chat, pack, refunds):  # noqa: F811
    payment = buy_with_stars(chat, pack)
    chat.replies()

    chat.post(paid(chat, payment, amount=1))

    (call,), in_transaction = refunds()
    assert call.params["user_id"] == chat.id and call.params["telegram_payment_charge_id"] == "stxMISMATCH1"
    assert in_transaction == [False]
    assert chat.replies() == [
        "Оплата не совпала со счётом: пришло 1 ⭐ вместо 450 ⭐. Кредиты не начислены, звёзды возвращены вам."
    ]
    payment.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == ("canceled", "stxMISMATCH1")
    assert "not credited" in payment.problem
    refund = Refund.objects.get()
    assert (refund.provider_refund_id, refund.amount, refund.credits_debited) == ("stars:stxMISMATCH1", 1, 0)
    assert TelegramUser.objects.get().balance == 0 and not CreditTransaction.objects.exists()
    assert ledger.find_mismatches() == []


def test_it_takes_none_of_the_buyers_other_credits_for_an_overpaid_invoice(chat, pack, refunds):  # noqa: F811
    payment = buy_with_stars(chat, pack)
    ledger.grant_credits(user=payment.user, amount=70, actor=None, reason="earlier", key="earlier")

    chat.post(paid(chat, payment, amount=900))

    assert len(refunds()[0]) == 1
    assert Refund.objects.get().credits_debited == 0 and TelegramUser.objects.get().balance == 70
    assert ledger.find_mismatches() == []


def test_it_says_it_in_english_too(new_chat, pack, refunds):  # noqa: F811
    chat = new_chat(user_id=5550123, language_code="en")
    payment = buy_with_stars(chat, pack)
    chat.replies()

    chat.post(paid(chat, payment, amount=1))

    assert chat.replies() == [
        "The payment did not match the invoice: 1 ⭐ arrived instead of 450 ⭐. No credits "
        "were added, and the Stars have been returned to you."
    ]


def test_it_refunds_once_when_telegram_delivers_it_again(chat, pack, refunds):  # noqa: F811
    payment = buy_with_stars(chat, pack)
    chat.replies()
    update = paid(chat, payment, amount=1)

    chat.post(update)
    chat.post(update)
    chat.post(paid(chat, payment, amount=1))  # the same charge in a new update

    assert len(refunds()[0]) == 1 and len(chat.replies()) == 1
    assert Refund.objects.count() == 1 and TelegramUser.objects.get().balance == 0


@pytest.mark.parametrize("amount, currency", [(450, "USD"), (449, "XTR")])
def test_it_flags_for_support_and_says_so_when_the_refund_fails(
    chat,
    pack,
    refunds,
    workers,
    amount,  # noqa: F811
    currency,
):
    payment = buy_with_stars(chat, pack)
    chat.replies()
    workers.telegram.fail_next("refundStarPayment", status=400, description="Bad Request: CHARGE_NOT_FOUND")

    chat.post(paid(chat, payment, amount=amount, currency=currency))

    (reply,) = chat.replies()
    assert "не совпала" in reply and "поддержка: /paysupport" in reply
    payment.refresh_from_db()
    assert payment.status == "canceled" and "automatic refund failed" in payment.problem
    assert not Refund.objects.exists() and TelegramUser.objects.get().balance == 0


def test_it_lets_support_refund_it_by_hand_after_a_failed_refund(chat, pack, refunds, workers, client):  # noqa: F811
    from django.contrib.auth.models import User

    payment = buy_with_stars(chat, pack)
    workers.telegram.fail_next("refundStarPayment", status=400, description="Bad Request: CHARGE_NOT_FOUND")
    chat.post(paid(chat, payment, amount=1))
    client.force_login(User.objects.create_superuser("support", "s@example.com", "pw"))

    client.post(
        "/admin/billing/payment/",
        {
            "action": "refund_stars",
            "_selected_action": [str(payment.pk)],
            "apply": "1",
            "reason": "the automatic refund failed",
        },
    )

    assert len(refunds()[0]) == 2
    assert Refund.objects.get().amount == 1 and TelegramUser.objects.get().balance == 0
    assert ledger.find_mismatches() == []


@pytest.mark.parametrize("amount", [450, 1])
def test_it_flags_a_second_charge_for_an_invoice_already_settled(chat, pack, refunds, amount):  # noqa: F811
    payment = buy_with_stars(chat, pack)
    chat.post(paid(chat, payment, amount=450, charge="stxFIRST"))

    chat.post(paid(chat, payment, amount=amount, charge="stxSECOND"))

    payment.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == ("succeeded", "stxFIRST")
    assert "second Stars charge stxSECOND" in payment.problem and TelegramUser.objects.get().balance == 100


@pytest.mark.postgres
def test_it_refunds_once_when_two_deliveries_race(chat, pack, refunds):  # noqa: F811
    payment = buy_with_stars(chat, pack)
    updates = [paid(chat, payment), paid(chat, payment)]

    race(lambda update: chat.post(update), threads=2, args_for=lambda i: (updates[i],))

    assert len(refunds()[0]) == 1 and Refund.objects.count() == 1
    assert Payment.objects.get().status == "canceled" and TelegramUser.objects.get().balance == 0
