import pytest
from django.contrib.auth.models import User

from accounts.models import TelegramUser
from billing import ledger, services
from billing.models import CreditPack, Payment, Refund
from tests.factories import make_generations, make_user


@pytest.fixture
def stars_payment(workers, db):
    user = make_user(telegram_id=9191)
    pack = CreditPack.objects.create(name="Seller", credits=100, price_rub="890.00", price_stars=450)
    payment = services.start_purchase(user=user, pack=pack, method="stars")
    services.credit(payment=payment, provider_payment_id="stxCHARGE9")
    ledger.charge_generations(generations=make_generations(user, count=3, cost=10))
    return Payment.objects.get(pk=payment.pk)


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("support", "s@example.com", "pw"))
    return client


def test_it_asks_for_a_reason_then_refunds_stars_and_takes_back_unspent_credits(staff_client, stars_payment, workers):
    url = "/admin/billing/payment/"
    form = {"action": "refund_stars", "_selected_action": [str(stars_payment.pk)]}

    page = staff_client.post(url, form)
    assert page.status_code == 200 and b"reason" in page.content
    assert workers.telegram.requests("refundStarPayment") == []

    staff_client.post(url, {**form, "apply": "1", "reason": "the buyer asked within a day"})
    staff_client.post(url, {**form, "apply": "1", "reason": "double click"})

    (call,) = workers.telegram.requests("refundStarPayment")
    assert call.params["user_id"] == 9191 and call.params["telegram_payment_charge_id"] == "stxCHARGE9"
    refund = Refund.objects.get()
    assert (refund.credits_debited, refund.shortfall) == (70, 30)
    assert TelegramUser.objects.get(telegram_id=9191).balance == 0
    assert Payment.objects.get(pk=stars_payment.pk).status == "refunded"
    assert ledger.find_mismatches() == []


def test_it_rechecks_a_payment_with_yookassa_and_credits_it_once(staff_client, shop):
    user = make_user(telegram_id=9292)
    payment = services.start_purchase(user=user, pack=shop.pack, method="yookassa")
    from botapp.purchase import checkout

    checkout(payment.pk)
    payment.refresh_from_db()
    shop.yookassa.succeed(payment.provider_payment_id)
    form = {"action": "recheck_with_yookassa", "_selected_action": [str(payment.pk)]}

    staff_client.post("/admin/billing/payment/", form)
    staff_client.post("/admin/billing/payment/", form)

    assert TelegramUser.objects.get(telegram_id=9292).balance == 100
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert ledger.find_mismatches() == []
