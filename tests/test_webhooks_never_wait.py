"""Webhooks answer before the slow work they start: the YooKassa create and the buyer's messages are tasks.

The tasks handed to django-q2 are held at its one entry point and run afterwards by the test, through
django-q2 itself (Q_SYNC runs them inline, as a worker would), twice: django-q2 delivers at least once.
"""

import json

import pytest
from django.test import Client
from django_q.tasks import async_task

from billing.models import Payment
from billing.services import start_purchase
from tests.factories import make_user

YOOKASSA_IP = "185.71.76.5"
PAY_LINK = "Пакет «Seller»: 100 кредитов за 890 ₽. Откройте страницу оплаты; я напишу сюда, как только платёж придёт."


@pytest.fixture
def held(monkeypatch):
    """Tasks the webhooks enqueue, held instead of run at once; run_held() runs them as a worker would."""
    tasks = []
    hold = lambda func, *args, **kwargs: tasks.append((func, args, kwargs))  # noqa: E731
    monkeypatch.setattr("botapp.purchase.async_task", hold)
    monkeypatch.setattr("billing.settlement.async_task", hold)
    return tasks


def run_held(tasks, *, times=2):
    for _ in range(times):
        for func, args, kwargs in tasks:
            async_task(func, *args, **kwargs)


def notify(shop, event, object_id):
    body = json.dumps(shop.yookassa.notification(event, object_id))
    return Client().post("/billing/yookassa/webhook/", body, content_type="application/json", REMOTE_ADDR=YOOKASSA_IP)


def test_it_answers_the_tap_before_yookassa_is_asked_then_sends_the_link_once(chat, shop, held):
    chat.send("/start")
    chat.replies()
    shop.yookassa.hang_seconds = 15

    response = chat.post(chat.tap_update(f"buy:{shop.pack.pk}:yk"))

    assert response.status_code == 200
    assert shop.yookassa.requests("POST", "/v3/payments") == []
    assert chat.toasts()[-1] == "Создаём ссылку на оплату…" and chat.replies() == []
    payment = Payment.objects.get()
    assert [(func, args) for func, args, _ in held] == [("botapp.tasks.checkout", (payment.pk,))]

    shop.yookassa.hang_seconds = 0
    run_held(held)

    assert [call.idempotence_key for call in shop.yookassa.requests("POST", "/v3/payments")] == [str(payment.pk)]
    assert chat.replies() == [PAY_LINK]
    payment.refresh_from_db()
    assert chat.last_keyboard() == [[{"text": "Оплатить 890 ₽", "url": payment.confirmation_url}]]


@pytest.mark.django_db
def test_it_pauses_between_create_tries_and_keeps_the_key(shop, monkeypatch):
    monkeypatch.setattr("billing.yookassa.CREATE_PAUSES", (0.3, 0.6))
    shop.yookassa.fail_next(status=500, times=2)
    payment = start_purchase(user=make_user(telegram_id=8181), pack=shop.pack, method="yookassa")

    run_held([("botapp.tasks.checkout", (payment.pk,), {})])

    creates = shop.yookassa.requests("POST", "/v3/payments")
    assert [call.idempotence_key for call in creates] == [str(payment.pk)] * 3
    gaps = [later.at - earlier.at for earlier, later in zip(creates, creates[1:], strict=False)]
    assert gaps[0] >= 0.3 and gaps[1] >= 0.6
    assert shop.telegram.texts(chat_id=8181) == [PAY_LINK]


@pytest.mark.django_db
def test_it_apologises_once_when_yookassa_stays_down(shop, monkeypatch):
    monkeypatch.setattr("billing.yookassa.CREATE_PAUSES", (0, 0))
    shop.yookassa.down = True
    payment = start_purchase(user=make_user(telegram_id=8181), pack=shop.pack, method="yookassa")

    run_held([("botapp.tasks.checkout", (payment.pk,), {})])

    assert len(shop.yookassa.requests("POST", "/v3/payments")) == 3
    assert Payment.objects.get().cancellation_reason == "not created"
    assert shop.telegram.texts(chat_id=8181) == [
        "Платёжный сервис сейчас не отвечает. Попробуйте, пожалуйста, через несколько минут."
    ]


@pytest.fixture
def paying(shop, held):
    """A payment whose link the buyer has; its YooKassa payment about to be settled."""
    payment = start_purchase(user=make_user(telegram_id=8181), pack=shop.pack, method="yookassa")
    run_held([("botapp.tasks.checkout", (payment.pk,), {})], times=1)
    shop.telegram.reset()
    payment.refresh_from_db()
    return payment


@pytest.mark.django_db
def test_it_answers_yookassa_before_telegram_is_told_then_tells_the_buyer_once(
    shop, held, paying, django_capture_on_commit_callbacks
):
    shop.yookassa.succeed(paying.provider_payment_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = notify(shop, "payment.succeeded", paying.provider_payment_id)

    assert response.status_code == 200 and Payment.objects.get().status == "succeeded"
    assert shop.telegram.requests() == []
    assert [(func, args) for func, args, _ in held] == [("billing.tasks.payment_credited", (paying.pk,))]

    run_held(held)

    assert shop.telegram.texts(chat_id=8181) == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]


@pytest.mark.django_db
def test_it_tells_the_buyer_once_why_the_payment_failed(shop, held, paying, django_capture_on_commit_callbacks):
    shop.yookassa.cancel(paying.provider_payment_id, party="payment_network", reason="insufficient_funds")

    with django_capture_on_commit_callbacks(execute=True):
        assert notify(shop, "payment.canceled", paying.provider_payment_id).status_code == 200

    assert shop.telegram.requests() == []
    run_held(held)

    assert shop.telegram.texts(chat_id=8181) == [
        "Платёж не прошёл: на карте не хватило денег. Деньги не списаны. Можно попробовать ещё раз: /buy."
    ]
