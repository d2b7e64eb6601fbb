"""The referrer's share of an invitee's paid purchases: credited with the payment through the real YooKassa
webhook, once, within the daily cap, and taken back on a refund as far as unspent."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings

from accounts.models import TelegramUser
from billing import ledger, referrals
from billing.models import CreditTransaction
from billing.services import start_purchase
from botapp.purchase import checkout
from messaging import sender
from tests.concurrency import race
from tests.factories import make_user
from tests.staff import act

YOOKASSA_IP = "185.71.76.5"
REWARDED = "Ваш друг купил кредиты — вам +10 кредитов. Баланс: 10 кредитов."


def invitee_of(referrer, *, telegram_id):
    return make_user(telegram_id=telegram_id, referred_by=referrer)


def paid(shop, buyer):
    """A YooKassa payment of the pack (100 credits) by `buyer`, paid at YooKassa, not yet notified."""
    payment = start_purchase(user=buyer, pack=shop.pack, method="yookassa")
    checkout(payment.pk)
    payment.refresh_from_db()
    shop.yookassa.succeed(payment.provider_payment_id)
    return payment


def notify(shop, event, object_id):
    body = json.dumps(shop.yookassa.notification(event, object_id))
    response = Client().post(
        "/billing/yookassa/webhook/", body, content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )
    assert response.status_code == 200
    return response


def balance(user):
    return TelegramUser.objects.get(pk=user.pk).balance


def rewards(referrer):
    return list(
        CreditTransaction.objects.filter(user=referrer).order_by("pk").values_list("kind", "amount", "payment_id")
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_rewards_the_referrer_once_when_the_notification_arrives_10_times_at_once(shop):
    referrer = make_user(telegram_id=6001)
    payment = paid(shop, invitee_of(referrer, telegram_id=6002))
    shop.telegram.reset()

    race(lambda: notify(shop, "payment.succeeded", payment.provider_payment_id), threads=10)

    assert balance(referrer) == 10 and rewards(referrer) == [("referral_reward", 10, payment.pk)]
    assert shop.telegram.texts(chat_id=6001) == [REWARDED]
    assert len(shop.telegram.texts(chat_id=6002)) == 1
    assert ledger.find_mismatches() == []


@pytest.mark.django_db(transaction=True)  # the messages go after commit
def test_it_tells_the_referrer_in_their_language(shop):
    referrer = make_user(telegram_id=6011, language_code="en")
    payment = paid(shop, invitee_of(referrer, telegram_id=6012))

    notify(shop, "payment.succeeded", payment.provider_payment_id)

    assert shop.telegram.texts(chat_id=6011) == [
        "A friend you invited bought credits: +10 credits for you. Balance: 10 credits."
    ]


@pytest.mark.django_db(transaction=True)  # the messages go after commit
def test_it_does_not_tell_the_referrer_twice_when_the_task_runs_again(shop):
    referrer = make_user(telegram_id=6021)
    payment = paid(shop, invitee_of(referrer, telegram_id=6022))
    notify(shop, "payment.succeeded", payment.provider_payment_id)

    assert referrals.tell_rewarded(payment.pk) is False
    assert shop.telegram.texts(chat_id=6021) == [REWARDED]


@pytest.mark.django_db
@override_settings(REFERRAL_REWARDED_PAYMENTS=3, REFERRAL_DAILY_CAP=0)
def test_it_rewards_only_the_first_rewarded_payments(shop, settings):
    settings.RATE_LIMIT_TOPUP_PER_HOUR = 10
    referrer = make_user(telegram_id=6031)
    buyer = invitee_of(referrer, telegram_id=6032)

    payments = [paid(shop, buyer) for _ in range(4)]
    for payment in payments:
        notify(shop, "payment.succeeded", payment.provider_payment_id)

    assert balance(buyer) == 400
    assert rewards(referrer) == [("referral_reward", 10, payment.pk) for payment in payments[:3]]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_rewards_nobody_for_a_buyer_who_was_not_invited(shop):
    payment = paid(shop, make_user(telegram_id=6041))

    notify(shop, "payment.succeeded", payment.provider_payment_id)

    assert not CreditTransaction.objects.filter(kind="referral_reward").exists()


@pytest.mark.django_db
def test_it_rewards_nothing_for_credits_that_were_not_paid_for(shop):
    referrer = make_user(telegram_id=6051)
    invitee = invitee_of(referrer, telegram_id=6052)

    ledger.grant_referral_welcome(user=invitee, amount=3)
    ledger.grant_credits(user=invitee, amount=50, actor=None, reason="a gift", key="gift-6052")

    assert balance(referrer) == 0 and rewards(referrer) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(REFERRAL_DAILY_CAP=15)
def test_it_keeps_to_the_daily_cap_when_two_invitees_pay_at_once(shop):
    referrer = make_user(telegram_id=6061)
    payments = [paid(shop, invitee_of(referrer, telegram_id=telegram_id)) for telegram_id in (6062, 6063)]

    race(
        lambda payment: notify(shop, "payment.succeeded", payment.provider_payment_id),
        threads=2,
        args_for=lambda i: (payments[i],),
    )

    assert balance(referrer) == 15
    assert sorted(amount for _, amount, _ in rewards(referrer)) == [5, 10]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
@override_settings(REFERRAL_DAILY_CAP=10)
def test_it_rewards_again_the_next_day_after_the_cap(shop, settings):
    referrer = make_user(telegram_id=6071)
    first, second = (paid(shop, invitee_of(referrer, telegram_id=telegram_id)) for telegram_id in (6072, 6073))
    notify(shop, "payment.succeeded", first.provider_payment_id)
    notify(shop, "payment.succeeded", second.provider_payment_id)
    assert balance(referrer) == 10

    CreditTransaction.objects.filter(user=referrer).update(created_at=datetime(2020, 1, 1, tzinfo=ZoneInfo("UTC")))
    third = paid(shop, invitee_of(referrer, telegram_id=6074))
    notify(shop, "payment.succeeded", third.provider_payment_id)

    assert balance(referrer) == 20


@pytest.mark.django_db(transaction=True)  # the messages go after commit
def test_it_takes_the_reward_back_once_on_a_refund(shop):
    referrer = make_user(telegram_id=6081)
    payment = paid(shop, invitee_of(referrer, telegram_id=6082))
    notify(shop, "payment.succeeded", payment.provider_payment_id)
    shop.telegram.reset()

    refund = shop.yookassa.refund(payment.provider_payment_id)
    notify(shop, "refund.succeeded", refund["id"])
    notify(shop, "refund.succeeded", refund["id"])

    assert balance(referrer) == 0
    assert rewards(referrer) == [("referral_reward", 10, payment.pk), ("referral_reward_taken_back", -10, payment.pk)]
    assert shop.telegram.texts(chat_id=6081) == [
        "Вашему другу вернули деньги за покупку, поэтому награда за неё списана: −10 кредитов. Баланс: 0 кредитов."
    ]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_takes_back_only_what_the_referrer_has_not_spent(shop):
    referrer = make_user(telegram_id=6091)
    payment = paid(shop, invitee_of(referrer, telegram_id=6092))
    notify(shop, "payment.succeeded", payment.provider_payment_id)
    ledger.revoke_credits(user=referrer, amount=7, actor=None, reason="spent", key="spent-6091")

    refund = shop.yookassa.refund(payment.provider_payment_id)
    notify(shop, "refund.succeeded", refund["id"])

    assert balance(referrer) == 0
    assert rewards(referrer)[-1] == ("referral_reward_taken_back", -3, payment.pk)
    assert ledger.find_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_takes_the_reward_back_once_when_the_refund_arrives_5_times_at_once(shop):
    referrer = make_user(telegram_id=6101)
    payment = paid(shop, invitee_of(referrer, telegram_id=6102))
    notify(shop, "payment.succeeded", payment.provider_payment_id)
    refund = shop.yookassa.refund(payment.provider_payment_id)
    shop.telegram.reset()

    race(lambda: notify(shop, "refund.succeeded", refund["id"]), threads=5)

    assert balance(referrer) == 0
    assert [kind for kind, _, _ in rewards(referrer)] == ["referral_reward", "referral_reward_taken_back"]
    assert len(shop.telegram.texts(chat_id=6101)) == 1
    assert ledger.find_mismatches() == []


def test_it_rewards_at_least_one_credit_and_rounds_down(settings):
    settings.REFERRAL_REWARD_PERCENT = 10
    assert [referrals.reward_share(n) for n in (5, 10, 109)] == [1, 1, 10]
    settings.REFERRAL_REWARD_PERCENT = 0
    assert referrals.reward_share(1000) == 0


def test_it_counts_the_day_from_midnight_in_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    now = datetime(2026, 3, 1, 22, 30, tzinfo=ZoneInfo("UTC"))  # already 2 March, 01:30 in Moscow

    assert referrals.start_of_day(now) == datetime(2026, 3, 2, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.mark.django_db(transaction=True)
def test_it_rewards_once_when_support_credits_the_payment_and_the_notification_comes_late(shop, support, client):
    referrer = make_user(telegram_id=6111)
    payment = paid(shop, invitee_of(referrer, telegram_id=6112))

    act(client, "/admin/billing/payment/", "credit_payments", [payment], reason="the buyer sent the statement")
    notify(shop, "payment.succeeded", payment.provider_payment_id)

    assert rewards(referrer) == [("referral_reward", 10, payment.pk)]
    assert shop.telegram.texts(chat_id=6111) == [REWARDED]
    assert ledger.find_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_it_tells_the_referrer_on_a_later_try_when_telegram_was_unreachable(shop, monkeypatch):
    referrer = make_user(telegram_id=6121)
    payment = paid(shop, invitee_of(referrer, telegram_id=6122))
    real_send = sender.send_message

    def unreachable(chat_id, text, **kwargs):
        if chat_id == 6121:
            raise sender.SendFailed("sendMessage: down")
        return real_send(chat_id, text, **kwargs)

    monkeypatch.setattr(sender, "send_message", unreachable)
    notify(shop, "payment.succeeded", payment.provider_payment_id)
    monkeypatch.setattr(sender, "send_message", real_send)

    assert referrals.tell_rewarded(payment.pk) is True
    assert referrals.tell_rewarded(payment.pk) is False
    assert shop.telegram.texts(chat_id=6121) == [REWARDED]
