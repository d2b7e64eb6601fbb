"""Buying credits from the Mini App: a Stars invoice link credited by the bot's successful_payment, once, and a
YooKassa payment made by the chat's worker task, its link polled for."""

import json

import pytest
from django.test import Client

from accounts.models import TelegramUser
from billing.models import CreditPack, CreditTransaction, Payment
from tests.factories import make_user
from tests.tma import header

API = "/miniapp/api"


def buy(client, user, pack, method, **options):
    body = json.dumps({"pack": getattr(pack, "pk", pack), "method": method})
    return client.post(f"{API}/buy", body, content_type="application/json", **header(user, **options))


def me(client, user):
    return client.get(f"{API}/me", **header(user)).json()


@pytest.fixture
def pack(db):
    return CreditPack.objects.create(name="Seller", credits=100, price_rub="890.00", price_stars=450)


def test_it_buys_with_stars_through_an_invoice_link_credited_once_by_the_bot(chat, workers, pack):
    chat.send("/start")
    seller = TelegramUser.objects.get(telegram_id=chat.id)
    client = Client()

    answer = buy(client, seller, pack, "stars")

    assert answer.status_code == 200
    body = answer.json()
    payment = Payment.objects.get(pk=body["payment_id"])
    assert body["method"] == "stars" and body["invoice_link"].startswith("https://t.me/$")
    (call,) = workers.telegram.requests("createInvoiceLink")
    assert call.params["currency"] == "XTR" and call.params["prices"] == [{"label": "Seller", "amount": 450}]
    assert not call.params.get("provider_token")
    invoice = workers.telegram.invoice_link(body["invoice_link"])
    assert invoice["payload"] == str(payment.pk) and invoice["total_amount"] == 450
    assert "100" in invoice["title"]
    assert me(client, seller)["balance"] == 0

    checkout = {
        "update_id": chat.message_update()["update_id"],
        "pre_checkout_query": {
            "id": "pcq-1",
            "from": chat.user,
            "currency": "XTR",
            "total_amount": 450,
            "invoice_payload": invoice["payload"],
        },
    }
    chat.post(checkout)
    assert workers.telegram.requests("answerPreCheckoutQuery")[-1].params["ok"] is True
    paid = {
        "currency": "XTR",
        "total_amount": 450,
        "invoice_payload": invoice["payload"],
        "telegram_payment_charge_id": "stxMINIAPP1",
        "provider_payment_charge_id": "stxMINIAPP1",
    }
    chat.post(chat.message_update(successful_payment=paid))
    chat.post(chat.message_update(successful_payment=paid))  # Telegram delivering it again

    assert me(client, seller)["balance"] == 100
    assert CreditTransaction.objects.filter(payment=payment, kind="purchase").count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert client.get(f"{API}/payments/{payment.pk}", **header(seller)).json() == {
        "status": "succeeded",
        "confirmation_url": None,
        "credits": 100,
    }


@pytest.mark.django_db
def test_it_buys_with_yookassa_through_the_chats_worker_and_gives_the_link_to_poll(client, shop, commit):
    seller = make_user(telegram_id=9990001)

    answer = commit(buy, client, seller, shop.pack, "yookassa")

    assert answer.status_code == 200
    body = answer.json()
    assert body["method"] == "yookassa" and body["confirmation_url"] is None
    polled = client.get(f"{API}/payments/{body['payment_id']}", **header(seller)).json()
    assert polled["status"] == "pending" and polled["credits"] == 100
    assert polled["confirmation_url"].startswith("http")
    payment = Payment.objects.get(pk=body["payment_id"])
    assert payment.confirmation_url == polled["confirmation_url"] and payment.provider_payment_id
    assert len(shop.yookassa.payments) == 1


@pytest.mark.django_db
def test_it_polls_without_a_link_until_the_worker_made_the_payment(client, shop):
    seller = make_user(telegram_id=9990002)

    body = buy(client, seller, shop.pack, "yookassa").json()  # the task is still waiting for commit

    assert client.get(f"{API}/payments/{body['payment_id']}", **header(seller)).json() == {
        "status": "pending",
        "confirmation_url": None,
        "credits": 100,
    }


@pytest.mark.django_db
def test_it_keeps_the_bots_hourly_limit_on_purchases(client, workers, pack, settings):
    settings.RATE_LIMIT_TOPUP_PER_HOUR = 1
    seller = make_user(telegram_id=9990003)

    assert buy(client, seller, pack, "stars").status_code == 200
    refused = buy(client, seller, pack, "stars", language_code="en")

    assert refused.status_code == 409
    assert refused.json()["error"] == "hourly_limit" and "1 purchase an hour" in refused.json()["message"]
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_packs_off_sale_unknown_packs_and_methods_not_offered(client, workers, pack, settings):
    seller = make_user(telegram_id=9990004)
    gone = CreditPack.objects.create(name="Old", credits=10, price_rub="90.00", price_stars=50, is_active=False)
    settings.PAYMENT_METHODS = ["yookassa"]

    assert buy(client, seller, gone, "yookassa").json()["error"] == "pack_gone"
    assert buy(client, seller, 99999, "yookassa").json() == {"error": "not_found"}
    assert buy(client, seller, pack, "stars").json() == {"error": "bad_request"}
    assert me(client, seller)["methods"] == ["yookassa"]
    assert me(client, seller)["packs"] == [
        {"id": pack.pk, "name": "Seller", "credits": 100, "price_rub": "890.00", "price_stars": None}
    ]
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_it_asks_for_the_receipt_email_first_when_receipts_are_on(client, shop, settings):
    settings.YOOKASSA_RECEIPTS = True
    seller = make_user(telegram_id=9990005)

    answer = buy(client, seller, shop.pack, "yookassa")

    assert (answer.status_code, answer.json()["error"]) == (409, "email_required")
    assert "/email" in answer.json()["message"]


@pytest.mark.django_db
def test_it_cancels_our_payment_when_telegram_makes_no_invoice_link(client, workers, pack):
    seller = make_user(telegram_id=9990006)
    workers.telegram.fail_next("createInvoiceLink", status=400, description="Bad Request: STARS_INVOICE_INVALID")

    answer = buy(client, seller, pack, "stars")

    assert (answer.status_code, answer.json()["error"]) == (409, "payment_unavailable")
    assert Payment.objects.get().status == "canceled"


@pytest.mark.django_db
def test_it_shows_a_payment_only_to_its_buyer(client, workers, pack):
    buyer, other = make_user(telegram_id=9990007), make_user(telegram_id=9990008)
    body = buy(client, buyer, pack, "stars").json()

    answer = client.get(f"{API}/payments/{body['payment_id']}", **header(other))

    assert (answer.status_code, answer.json()) == (404, {"error": "not_found"})
