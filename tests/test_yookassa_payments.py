"""YooKassa: the payment is created with our id as the key, and only the API's own answer credits."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import TelegramUser
from billing import ledger, reconciliation
from billing.models import Payment, Refund, WebhookEvent
from billing.services import start_purchase
from botapp.purchase import checkout
from tests.concurrency import race
from tests.factories import make_generations, make_user

YOOKASSA_IP = "185.71.76.5"


def buy(shop, *, telegram_id=8181):
    """The checkout task run for a new buyer; returns the payment and the message it sent (then forgotten)."""
    user = make_user(telegram_id=telegram_id)
    payment = start_purchase(user=user, pack=shop.pack, method="yookassa")
    checkout(payment.pk)
    payment.refresh_from_db()
    (reply,) = shop.telegram.sent(chat_id=telegram_id)
    shop.telegram.reset()
    return payment, reply.params


def notify(event, object_id, shop, *, ip=YOOKASSA_IP, client=None, **headers):
    body = json.dumps(shop.yookassa.notification(event, object_id))
    return (client or Client()).post(
        "/billing/yookassa/webhook/", body, content_type="application/json", REMOTE_ADDR=ip, **headers
    )


def balance(payment):
    return TelegramUser.objects.get(pk=payment.user_id).balance


@pytest.mark.django_db
def test_it_creates_the_payment_with_our_row_as_the_idempotence_key(shop):
    payment, reply = buy(shop)

    create = shop.yookassa.requests("POST", "/v3/payments")[0]
    assert create.idempotence_key == str(payment.pk)
    assert create.body["capture"] is True and create.body["metadata"]["payment_id"] == str(payment.pk)
    assert create.body["amount"] == {"value": "890.00", "currency": "RUB"}
    assert payment.provider_payment_id in shop.yookassa.payments and payment.confirmation_url
    assert reply["reply_markup"]["inline_keyboard"][0][0] == {"text": "Оплатить 890 ₽", "url": payment.confirmation_url}


@pytest.mark.django_db
def test_it_asks_again_with_the_same_key_when_the_result_is_unknown(shop):
    shop.yookassa.fail_next(status=500, code="internal_server_error", times=1)

    payment, _ = buy(shop)

    keys = [call.idempotence_key for call in shop.yookassa.requests("POST", "/v3/payments")]
    assert keys == [str(payment.pk)] * 2 and payment.provider_payment_id


@pytest.mark.django_db
def test_it_tells_the_buyer_when_yookassa_stays_down(shop):
    shop.yookassa.down = True

    payment, reply = buy(shop)

    assert "не отвечает" in reply["text"]
    assert payment.status == "canceled" and payment.cancellation_reason == "not created"


@pytest.mark.django_db
def test_it_credits_a_paid_payment_once_and_tells_the_buyer(shop, django_capture_on_commit_callbacks):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)

    with django_capture_on_commit_callbacks(execute=True):
        first = notify("payment.succeeded", payment.provider_payment_id, shop)
        second = notify("payment.succeeded", payment.provider_payment_id, shop)

    assert (first.status_code, second.status_code) == (200, 200)
    payment.refresh_from_db()
    assert payment.status == "succeeded" and balance(payment) == 100
    assert shop.telegram.texts(chat_id=8181) == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["processed", "processed"]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_credits_nothing_while_the_api_says_pending(shop):
    payment, _ = buy(shop)
    body = shop.yookassa.notification("payment.succeeded", payment.provider_payment_id)
    body["object"].update(status="succeeded", paid=True)  # the body lies; the API does not

    response = Client().post(
        "/billing/yookassa/webhook/", json.dumps(body), content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )

    assert response.status_code == 200
    assert balance(payment) == 0 and Payment.objects.get().status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tampered",
    [
        {"amount": {"value": "1.00", "currency": "RUB"}},
        {"amount": {"value": "890.00", "currency": "USD"}},
        {"metadata": {"payment_id": "00000000-0000-0000-0000-000000000000"}},
    ],
)
def test_it_flags_and_does_not_credit_a_payment_that_does_not_match(shop, tampered):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    shop.yookassa.tamper(payment.provider_payment_id, **tampered)

    assert notify("payment.succeeded", payment.provider_payment_id, shop).status_code == 200

    payment.refresh_from_db()
    assert balance(payment) == 0 and payment.status == "pending" and payment.problem


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ip, forwarded, trusted",
    [
        ("203.0.113.9", None, []),
        ("203.0.113.9", YOOKASSA_IP, []),  # a spoofed X-Forwarded-For from an untrusted peer
        ("10.0.0.1", "203.0.113.9", ["10.0.0.1"]),  # our proxy, forwarding a stranger
    ],
)
def test_it_refuses_a_notification_from_outside_the_allow_list(shop, settings, ip, forwarded, trusted):
    settings.TRUSTED_PROXIES = trusted
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}

    response = notify("payment.succeeded", payment.provider_payment_id, shop, ip=ip, **headers)

    assert response.status_code == 403
    assert balance(payment) == 0 and not WebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ip, forwarded, trusted",
    [
        ("10.0.0.1", f"198.51.100.7, {YOOKASSA_IP}", ["10.0.0.1"]),
        ("2a02:5180:0:1::7", None, []),
    ],
)
def test_it_accepts_yookassa_behind_our_proxy_and_over_ipv6(shop, settings, ip, forwarded, trusted):
    settings.TRUSTED_PROXIES = trusted
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}

    assert notify("payment.succeeded", payment.provider_payment_id, shop, ip=ip, **headers).status_code == 200
    assert balance(payment) == 100


@pytest.mark.django_db
def test_it_asks_for_the_notification_again_while_the_api_is_down_then_credits_once(shop):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    body = shop.yookassa.notification("payment.succeeded", payment.provider_payment_id)
    shop.yookassa.down = True

    first = Client().post(
        "/billing/yookassa/webhook/", json.dumps(body), content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )
    shop.yookassa.down = False
    second = notify("payment.succeeded", payment.provider_payment_id, shop)

    assert (first.status_code, second.status_code) == (503, 200)
    assert balance(payment) == 100
    assert list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "processed"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"event": "payment.succeeded"}', b'{"event": "payment.succeeded", "object": {"id": 5}}'],
)
def test_it_answers_400_to_junk_but_keeps_it_in_the_inbox(shop, body):
    response = Client().post(
        "/billing/yookassa/webhook/", body, content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )

    assert response.status_code == 400
    assert WebhookEvent.objects.get().status == "failed"


@pytest.mark.django_db
def test_it_tells_the_buyer_in_plain_words_why_a_payment_was_canceled(shop, django_capture_on_commit_callbacks):
    payment, _ = buy(shop)
    shop.yookassa.cancel(payment.provider_payment_id, party="payment_network", reason="insufficient_funds")

    with django_capture_on_commit_callbacks(execute=True):
        notify("payment.canceled", payment.provider_payment_id, shop)
        notify("payment.canceled", payment.provider_payment_id, shop)

    payment.refresh_from_db()
    assert (payment.status, payment.cancellation_reason) == ("canceled", "insufficient_funds")
    assert shop.telegram.texts(chat_id=8181) == [
        "Платёж не прошёл: на карте не хватило денег. Деньги не списаны. Можно попробовать ещё раз: /buy."
    ]


@pytest.mark.django_db
def test_it_takes_back_the_unspent_credits_of_a_refund_once_and_flags_the_rest(shop):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    notify("payment.succeeded", payment.provider_payment_id, shop)
    ledger.charge_generations(generations=make_generations(payment.user, count=3, cost=20))
    refund = shop.yookassa.refund(payment.provider_payment_id)

    notify("refund.succeeded", refund["id"], shop)
    notify("refund.succeeded", refund["id"], shop)

    recorded = Refund.objects.get()
    payment.refresh_from_db()
    assert (recorded.amount, recorded.credits_debited, recorded.shortfall) == (Decimal("890.00"), 40, 60)
    assert balance(payment) == 0 and payment.status == "refunded" and "already spent" in payment.problem
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_reconciles_a_payment_whose_notification_never_came_and_keeps_asking_about_old_ones(shop, capsys):
    paid, _ = buy(shop)
    stale, _ = buy(shop, telegram_id=8282)
    shop.yookassa.succeed(paid.provider_payment_id)
    Payment.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timezone.timedelta(hours=25))

    call_command("reconcile_payments")

    assert "1 credited, 1 pending" in capsys.readouterr().out
    assert balance(paid) == 100 and Payment.objects.get(pk=stale.pk).status == "pending"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_credits_once_when_the_same_notification_arrives_10_times_at_once(shop):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)

    outcomes = race(lambda: notify("payment.succeeded", payment.provider_payment_id, shop), threads=10)

    assert [response.status_code for response, _ in outcomes] == [200] * 10
    assert balance(payment) == 100 and len(shop.telegram.texts(chat_id=8181)) == 1
    assert ledger.find_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_credits_once_when_a_notification_and_reconciliation_race(shop):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    jobs = [lambda: notify("payment.succeeded", payment.provider_payment_id, shop), reconciliation.run]

    race(lambda job: job(), threads=2, args_for=lambda i: (jobs[i],))

    assert balance(payment) == 100 and len(shop.telegram.texts(chat_id=8181)) == 1
    assert ledger.find_mismatches() == []
