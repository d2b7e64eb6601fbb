"""Only YooKassa's answer makes a payment final, and a late `succeeded` credits any row of ours once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import ledger, reconciliation
from billing.models import CreditTransaction, Payment
from billing.services import start_purchase
from tests.concurrency import race
from tests.factories import make_user
from tests.test_yookassa_payments import balance, buy, notify


def age(payment, **delta):
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(**delta))


def asked(shop, payment):
    return len(shop.yookassa.requests("GET", f"/v3/payments/{payment.provider_payment_id}"))


@pytest.mark.django_db
def test_it_credits_an_old_open_payment_once_when_yookassa_says_succeeded(shop, django_capture_on_commit_callbacks):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    age(payment, hours=30)

    with django_capture_on_commit_callbacks(execute=True):
        first = reconciliation.run()
        second = reconciliation.run()

    assert (first, second) == ({"credited": 1}, {})
    assert Payment.objects.get(pk=payment.pk).status == "succeeded" and balance(payment) == 100
    assert CreditTransaction.objects.filter(payment=payment).count() == 1
    assert shop.telegram.texts(chat_id=8181) == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_keeps_an_old_payment_open_while_yookassa_says_pending(shop):
    payment, _ = buy(shop)
    age(payment, hours=30)

    assert reconciliation.run() == {"pending": 1}

    assert Payment.objects.get(pk=payment.pk).status == "pending" and asked(shop, payment) == 1


@pytest.mark.django_db
def test_it_cancels_an_old_payment_only_on_yookassas_own_canceled(shop):
    payment, _ = buy(shop)
    age(payment, days=3)
    shop.yookassa.cancel(payment.provider_payment_id, reason="expired_on_confirmation")

    assert reconciliation.run() == {"canceled": 1}

    payment.refresh_from_db()
    assert (payment.status, payment.cancellation_reason) == ("canceled", "expired_on_confirmation")


@pytest.mark.django_db
def test_it_closes_an_old_row_that_yookassa_never_had_without_asking(shop):
    user = make_user(telegram_id=8484)
    never_created = start_purchase(user=user, pack=shop.pack, method="yookassa")
    young = start_purchase(user=user, pack=shop.pack, method="yookassa")
    age(never_created, hours=25)

    assert reconciliation.run() == {"expired": 1}

    assert Payment.objects.get(pk=never_created.pk).status == "expired"
    assert Payment.objects.get(pk=young.pk).status == "pending"
    assert shop.yookassa.requests("GET") == []


@pytest.mark.django_db
def test_it_asks_about_an_old_open_payment_less_often_as_it_ages(shop):
    young, _ = buy(shop)
    old, _ = buy(shop, telegram_id=8282)
    age(old, days=2)  # asked again after a 24th of its age: 2 hours

    for _ in range(3):
        reconciliation.run()
    assert (asked(shop, young), asked(shop, old)) == (3, 1)

    Payment.objects.filter(pk=old.pk).update(checked_at=timezone.now() - timedelta(hours=2, minutes=1))
    reconciliation.run()
    assert (asked(shop, young), asked(shop, old)) == (4, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["expired", "canceled", "pending"])
def test_it_credits_a_late_notification_once_whatever_we_had_decided(shop, status, django_capture_on_commit_callbacks):
    payment, _ = buy(shop)
    Payment.objects.filter(pk=payment.pk).update(status=status, created_at=timezone.now() - timedelta(days=2))
    shop.yookassa.succeed(payment.provider_payment_id)

    with django_capture_on_commit_callbacks(execute=True):
        first = notify("payment.succeeded", payment.provider_payment_id, shop)
        second = notify("payment.succeeded", payment.provider_payment_id, shop)

    assert (first.status_code, second.status_code) == (200, 200)
    assert Payment.objects.get(pk=payment.pk).status == "succeeded" and balance(payment) == 100
    assert len(shop.telegram.texts(chat_id=8181)) == 1
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tampered",
    [
        {"amount": {"value": "1.00", "currency": "RUB"}},
        {"metadata": {"payment_id": "00000000-0000-0000-0000-000000000000"}},
    ],
)
def test_it_flags_a_late_success_that_does_not_match_and_credits_nothing(shop, tampered):
    expired, _ = buy(shop)
    old, _ = buy(shop, telegram_id=8282)
    Payment.objects.filter(pk=expired.pk).update(status="expired")
    age(old, days=2)
    for payment in (expired, old):
        shop.yookassa.succeed(payment.provider_payment_id)
        shop.yookassa.tamper(payment.provider_payment_id, **tampered)

    assert notify("payment.succeeded", expired.provider_payment_id, shop).status_code == 200
    assert reconciliation.run() == {"mismatch": 1}

    for payment, status in ((expired, "expired"), (old, "pending")):
        payment.refresh_from_db()
        assert (payment.status, balance(payment)) == (status, 0) and payment.problem
    assert not CreditTransaction.objects.exists()


@pytest.mark.django_db
def test_it_prints_what_a_pass_did(shop, capsys):
    paid, _ = buy(shop)
    shop.yookassa.succeed(paid.provider_payment_id)
    never_created = start_purchase(user=make_user(telegram_id=8585), pack=shop.pack, method="yookassa")
    age(never_created, hours=25)

    call_command("reconcile_payments")

    assert "1 credited, 1 expired" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_credits_an_expired_payment_once_when_10_late_notifications_arrive_at_once(shop):
    payment, _ = buy(shop)
    Payment.objects.filter(pk=payment.pk).update(status="expired")
    shop.yookassa.succeed(payment.provider_payment_id)

    outcomes = race(lambda: notify("payment.succeeded", payment.provider_payment_id, shop), threads=10)

    assert [response.status_code for response, _ in outcomes] == [200] * 10
    assert balance(payment) == 100 and len(shop.telegram.texts(chat_id=8181)) == 1
    assert CreditTransaction.objects.filter(payment=payment).count() == 1
    assert ledger.find_mismatches() == []
