"""«Зачислить этот платёж»: support credits a payment through the claim and ledger key the webhook uses, so
whichever of the two comes second credits nothing, and the buyer hears "payment received" once."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from billing import ledger, settlement
from billing.models import CreditTransaction, Payment
from tests.concurrency import race
from tests.staff import act, make_support, resubmit, said
from tests.test_bot_stars import buy_with_stars, pack, successful  # noqa: F401  (pack: a fixture)
from tests.test_yookassa_payments import balance, buy, notify

LIST = "/admin/billing/payment/"
RECEIVED = "Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."


def credit(client, payment, reason="the buyer sent the bank statement"):
    return act(client, LIST, "credit_payments", [payment], reason=reason)


def purchases(payment):
    return list(CreditTransaction.objects.filter(payment=payment, kind=CreditTransaction.Kind.PURCHASE))


@pytest.mark.django_db(transaction=True)
def test_it_credits_a_paid_yookassa_payment_once_and_a_late_notification_adds_nothing(shop, support, client):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)  # the notification was lost

    _, done = credit(client, payment)
    late = notify("payment.succeeded", payment.provider_payment_id, shop)

    assert late.status_code == 200
    assert said(done) == [f"Платёж {payment.pk}: ЮKassa отвечает «succeeded»; зачислен, добавлено кредитов: 100."]
    (entry,) = purchases(payment)
    assert (entry.amount, entry.actor, entry.reason) == (100, support, "the buyer sent the bank statement")
    assert balance(payment) == 100 and Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert shop.telegram.texts(chat_id=8181) == [RECEIVED]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_it_credits_nothing_more_when_the_webhook_came_first(shop, support, client):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    notify("payment.succeeded", payment.provider_payment_id, shop)

    page, _ = credit(client, payment)
    # A page opened before the webhook came: its button runs into the same claim and ledger key.
    with_stale_page = settlement.credit_by_staff(payment=payment, actor=support, reason="stale page")

    assert "нельзя зачислить" in page.content.decode()
    assert with_stale_page == "already credited"
    assert len(purchases(payment)) == 1 and balance(payment) == 100
    assert shop.telegram.texts(chat_id=8181) == [RECEIVED]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "at_yookassa, status, result",
    [
        (lambda fake, pid: fake.cancel(pid), "canceled", "«canceled»; отменён, ничего не зачислено"),
        (lambda fake, pid: None, "pending", "«pending»; ещё ожидает оплаты"),
    ],
)
def test_it_does_not_credit_what_yookassa_says_is_not_paid(shop, support, client, at_yookassa, status, result):
    payment, _ = buy(shop)
    at_yookassa(shop.yookassa, payment.provider_payment_id)

    _, done = credit(client, payment)

    (message,) = said(done)
    assert result in message
    assert Payment.objects.get(pk=payment.pk).status == status
    assert purchases(payment) == [] and balance(payment) == 0


@pytest.mark.django_db(transaction=True)
def test_it_credits_nothing_when_yookassa_cannot_be_reached(shop, support, client):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    shop.yookassa.down = True

    _, done = credit(client, payment)

    (message,) = said(done)
    assert "ЮKassa недоступна" in message and "ничего не изменено" in message
    assert purchases(payment) == [] and Payment.objects.get(pk=payment.pk).status == "pending"


def test_it_credits_a_stars_invoice_once_and_a_late_successful_payment_adds_nothing(chat, pack, client):
    staff = make_support()
    client.force_login(staff)
    payment = buy_with_stars(chat, pack)
    chat.replies()

    form, done = credit(client, payment, reason="Telegram shows the charge; our update was lost")
    resubmitted = resubmit(client, LIST, "credit_payments", [payment], form, reason="double click")
    chat.post(successful(chat, payment, charge="stxLATE"))

    assert said(done) == [f"Платёж {payment.pk}: зачислен, добавлено кредитов: 100."]
    assert "нельзя зачислить" in resubmitted.content.decode()
    (entry,) = purchases(payment)
    assert (entry.actor, entry.reason) == (staff, "Telegram shows the charge; our update was lost")
    payment.refresh_from_db()
    # The late charge is recorded on the row (so it can be refunded), and credits nothing.
    assert (payment.status, payment.provider_payment_id) == ("succeeded", "stxLATE")
    assert balance(payment) == 100
    assert chat.replies() == [RECEIVED]  # support's message; the late update says nothing more
    assert ledger.find_mismatches() == []


def test_it_credits_nothing_more_when_the_stars_payment_came_first(chat, pack, client):
    client.force_login(make_support())
    payment = buy_with_stars(chat, pack)
    chat.post(successful(chat, payment))

    page, _ = credit(client, payment)

    assert "нельзя зачислить" in page.content.decode()
    assert len(purchases(payment)) == 1 and balance(payment) == 100
    assert ledger.find_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_credits_once_when_the_button_and_the_webhook_race(shop):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)
    staff = Client()
    staff.force_login(make_support())
    jobs = [
        lambda: credit(staff, payment),
        lambda: notify("payment.succeeded", payment.provider_payment_id, shop),
    ]

    outcomes = race(lambda job: job(), threads=2, args_for=lambda i: (jobs[i],))

    assert [error for _, error in outcomes] == [None, None]
    assert len(purchases(payment)) == 1 and balance(payment) == 100
    assert shop.telegram.texts(chat_id=8181) == [RECEIVED]
    assert ledger.find_mismatches() == []


@pytest.mark.postgres
def test_it_credits_once_when_the_button_and_a_stars_payment_race(chat, pack):
    payment = buy_with_stars(chat, pack)
    staff = make_support()
    update = successful(chat, payment)
    jobs = [
        lambda: settlement.credit_by_staff(payment=payment, actor=staff, reason="race"),
        lambda: chat.post(update),
    ]

    outcomes = race(lambda job: job(), threads=2, args_for=lambda i: (jobs[i],))

    assert [error for _, error in outcomes] == [None, None]
    assert len(purchases(payment)) == 1 and balance(payment) == 100
    assert Payment.objects.get(pk=payment.pk).provider_payment_id == "stxCHARGE123"
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_is_a_permission_of_its_own_given_to_support():
    assert Permission.objects.filter(codename="credit_payment", content_type__app_label="billing").exists()
    staff = make_support()
    assert staff.has_perm("billing.credit_payment") and staff.has_perm("billing.resolve_payment")
    assert not staff.has_perm("billing.refund_stars")
