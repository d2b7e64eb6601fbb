"""Support answers "I paid but got no credits" from a payment's page: re-check with YooKassa, mark a flagged
payment resolved, and see only the buttons that apply to that payment."""

import pytest
from django.contrib.admin.models import LogEntry

from billing import ledger, services
from billing.models import Payment
from tests.factories import make_payment, make_user
from tests.staff import act, said
from tests.test_yookassa_payments import balance, buy

LIST = "/admin/billing/payment/"


def page(client, payment):
    return client.get(f"{LIST}{payment.pk}/change/")


def buttons(client, payment):
    return [name for name, _label in page(client, payment).context["object_actions"]]


def press(client, payment, action):
    """A change page's button: the action for this one payment, back to its page."""
    return client.post(
        LIST,
        {"action": action, "_selected_action": [str(payment.pk)], "_next": f"{LIST}{payment.pk}/change/"},
        follow=True,
    )


@pytest.mark.django_db
def test_it_rechecks_a_paid_but_pending_payment_from_its_page(
    shop, support, client, django_capture_on_commit_callbacks
):
    payment, _ = buy(shop)
    shop.yookassa.succeed(payment.provider_payment_id)  # paid, but the notification never came
    assert "recheck_with_yookassa" in buttons(client, payment)

    with django_capture_on_commit_callbacks(execute=True):
        answer = press(client, payment, "recheck_with_yookassa")
        again = press(client, payment, "recheck_with_yookassa")

    assert answer.redirect_chain[-1][0] == f"{LIST}{payment.pk}/change/"
    assert said(answer) == [f"Платёж {payment.pk}: ЮKassa отвечает «succeeded»; зачислен, добавлено кредитов: 100."]
    # Succeeded now: the page offers the re-check no more, and a stale button credits nothing.
    assert said(again) == []
    assert balance(payment) == 100
    assert shop.telegram.texts(chat_id=8181) == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]
    (entry,) = LogEntry.objects.filter(object_id=str(payment.pk))
    assert "зачислен" in entry.change_message and entry.user.username == "support"
    assert ledger.find_mismatches() == []


@pytest.mark.django_db
def test_it_says_what_yookassa_said_of_a_payment_still_pending(shop, support, client):
    payment, _ = buy(shop)

    answer = press(client, payment, "recheck_with_yookassa")

    assert said(answer) == [
        f"Платёж {payment.pk}: ЮKassa отвечает «pending»; ещё ожидает оплаты: покупатель не заплатил, "
        "ничего не зачислено."
    ]
    assert Payment.objects.get(pk=payment.pk).status == "pending" and balance(payment) == 0


@pytest.mark.django_db
def test_it_says_so_when_yookassa_cannot_be_reached(shop, support, client):
    payment, _ = buy(shop)
    shop.yookassa.down = True

    answer = press(client, payment, "recheck_with_yookassa")

    (message,) = said(answer)
    assert message.startswith(f"Платёж {payment.pk}: ЮKassa недоступна") and "ничего не изменено" in message
    assert Payment.objects.get(pk=payment.pk).status == "pending"


@pytest.mark.django_db
def test_it_shows_each_payment_only_the_buttons_that_apply(shop, client, admin_user):
    client.force_login(admin_user)
    user = make_user(telegram_id=5151)
    open_yookassa, _ = buy(shop, telegram_id=5252)
    paid_yookassa, _ = buy(shop, telegram_id=5353)
    services.credit(payment=paid_yookassa, provider_payment_id=paid_yookassa.provider_payment_id)
    stars_pending = make_payment(user, method="stars", currency="XTR", amount="450")
    stars_paid = make_payment(user, method="stars", currency="XTR", amount="450")
    services.credit(payment=stars_paid, provider_payment_id="stxPAID")
    never_created = make_payment(user)  # YooKassa never had it: nothing to ask, nothing anyone could pay
    services.flag(payment=stars_paid, problem="the buyer says it was charged twice")

    assert buttons(client, open_yookassa) == ["recheck_with_yookassa", "credit_payments"]
    assert buttons(client, paid_yookassa) == []
    assert buttons(client, stars_pending) == ["credit_payments"]
    assert buttons(client, stars_paid) == ["resolve_payments", "refund_stars"]
    assert buttons(client, never_created) == []


@pytest.mark.django_db
def test_it_marks_a_flagged_payment_resolved_once_with_a_reason(support, client):
    user = make_user(telegram_id=6161)
    payment = make_payment(user)
    services.flag(payment=payment, problem="paid 1.00 RUB, expected 890.00 RUB: not credited")
    assert list(Payment.objects.flagged()) == [payment]

    form, done = act(client, LIST, "resolve_payments", [payment], reason="the buyer paid the rest by card")
    _, twice = act(client, LIST, "resolve_payments", [payment], reason="double click")

    assert said(done) == [f"Платёж {payment.pk}: отмечен как решённый."]
    assert "Среди выбранных нет помеченных" in twice.content.decode()
    payment.refresh_from_db()
    assert (payment.resolved_by, payment.resolution) == (support, "the buyer paid the rest by card")
    assert payment.resolved_at is not None and payment.problem  # the problem stays on the record
    assert list(Payment.objects.flagged()) == []
    assert "the buyer paid the rest by card" in page(client, payment).content.decode()


@pytest.mark.django_db
def test_it_resolves_once_when_two_staff_press_it(support):
    user = make_user(telegram_id=6262)
    payment = make_payment(user)
    services.flag(payment=payment, problem="amount mismatch")

    first = services.resolve(payment=payment, by=support, resolution="refunded by phone")
    second = services.resolve(payment=payment, by=support, resolution="again")

    assert (first, second) == (True, False)
    assert Payment.objects.get(pk=payment.pk).resolution == "refunded by phone"


@pytest.mark.django_db
def test_it_filters_flagged_payments_open_and_resolved(support, client):
    user = make_user(telegram_id=6363)
    open_one, resolved_one, fine = make_payment(user), make_payment(user), make_payment(user)
    services.flag(payment=open_one, problem="mismatch")
    services.flag(payment=resolved_one, problem="mismatch")
    services.resolve(payment=resolved_one, by=support, resolution="done")

    def listed(query):
        return {row.pk for row in client.get(f"{LIST}?{query}").context["cl"].result_list}

    assert listed("flagged=open") == {open_one.pk}
    assert listed("flagged=resolved") == {resolved_one.pk}
    assert listed("") == {open_one.pk, resolved_one.pk, fine.pk}
    assert "Требует внимания" in client.get(LIST).content.decode()
