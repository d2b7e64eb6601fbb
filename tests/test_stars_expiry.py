"""A Stars invoice nobody paid expires after STARS_INVOICE_HOURS: refused at the pre-checkout, no longer
pending, shown among abandoned invoices and not among problems; Stars Telegram took anyway still credit once."""

from datetime import timedelta

from django.utils import timezone

from billing import ledger, reconciliation, services
from billing.models import Payment
from tests.staff import make_support
from tests.test_bot_stars import buy_with_stars, pack, pre_checkout, successful  # noqa: F401  (pack: a fixture)
from tests.test_yookassa_payments import balance


def age(payment, hours):
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=hours))


def test_it_expires_an_unpaid_invoice_after_the_setting_once(chat, pack, settings):
    settings.STARS_INVOICE_HOURS = 24
    old = buy_with_stars(chat, pack)
    age(old, 25)
    chat.tap(f"buy:{pack.pk}:st")
    young = Payment.objects.exclude(pk=old.pk).get()
    age(young, 23)

    first, second = reconciliation.run(), reconciliation.run()

    assert (first, second) == ({"stars expired": 1}, {})
    assert Payment.objects.get(pk=old.pk).status == "expired"
    assert Payment.objects.get(pk=young.pk).status == "pending"
    assert not Payment.objects.filter(status__in=services.OPEN, pk=old.pk).exists()


def test_it_refuses_a_late_pre_checkout_kindly_in_the_buyers_language(chat, new_chat, pack):
    expired = buy_with_stars(chat, pack)
    age(expired, 25)
    reconciliation.run()
    english = new_chat(user_id=777001, language_code="en")
    english.send("/start")
    english.tap(f"buy:{pack.pk}:st")
    not_yet_swept = Payment.objects.get(user__telegram_id=777001)
    age(not_yet_swept, 25)  # the schedule has not run since: refused all the same

    chat.post(pre_checkout(chat, expired))
    russian_answer = chat.telegram.requests("answerPreCheckoutQuery")[-1].params
    english.post(pre_checkout(english, not_yet_swept))
    english_answer = chat.telegram.requests("answerPreCheckoutQuery")[-1].params

    assert russian_answer["ok"] is False
    assert russian_answer["error_message"] == (
        "Срок этого счёта истёк, деньги не списаны. Откройте /buy, чтобы получить новый."
    )
    assert english_answer["ok"] is False
    assert english_answer["error_message"] == "This invoice has expired, nothing was charged. Open /buy for a new one."


def test_it_credits_stars_taken_for_an_expired_invoice_once(chat, pack):
    payment = buy_with_stars(chat, pack)
    age(payment, 25)
    reconciliation.run()
    chat.replies()

    chat.post(successful(chat, payment))
    chat.post(successful(chat, payment))

    assert chat.replies() == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]
    assert Payment.objects.get(pk=payment.pk).status == "succeeded" and balance(payment) == 100
    assert ledger.find_mismatches() == []


def test_it_shows_abandoned_invoices_apart_from_problems(chat, pack, client):
    client.force_login(make_support())
    abandoned = buy_with_stars(chat, pack)
    services.flag(payment=abandoned, problem="the buyer asked twice")
    age(abandoned, 25)
    reconciliation.run()
    chat.tap(f"buy:{pack.pk}:st")
    problem = Payment.objects.exclude(pk=abandoned.pk).get()
    services.flag(payment=problem, problem="a second Stars charge was not credited")

    def listed(query):
        return {row.pk for row in client.get(f"/admin/billing/payment/?{query}").context["cl"].result_list}

    assert listed("abandoned=yes") == {abandoned.pk}
    assert listed("abandoned=no") == {problem.pk}
    assert listed("flagged=open") == {problem.pk}
    assert list(Payment.objects.flagged()) == [problem]
    assert "Брошенные счета" in client.get("/admin/billing/payment/").content.decode()
