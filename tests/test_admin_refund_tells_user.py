"""A refund or cancel by support tells the user once, in their language, and shows on the generation's page."""

import pytest
from django.utils import timezone

from billing import ledger
from generations import services
from generations.models import Generation, GenerationEvent, OrderDelivery
from tests.factories import make_generations, make_user
from tests.staff import act, resubmit, said

# The message goes to a worker at commit (Q_SYNC runs it at once): the test needs real commits.
pytestmark = pytest.mark.django_db(transaction=True)
GENERATIONS = "/admin/generations/generation/"
Status = Generation.Status


def charged(user, *, status):
    """Charged, then left in `status`; a failed one's message and its order's closing went when it failed."""
    (generation,) = make_generations(user, cost=10)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=status)
    if status in (Status.FAILED, Status.COMPLETED):
        now = timezone.now()
        OrderDelivery.objects.create(
            order_id=generation.order_id, user=user, keyboard_on=generation.pk, due_at=now, sent_at=now
        )
    return Generation.objects.get(pk=generation.pk)


def test_it_tells_the_user_once_that_support_refunded(client, support, workers):
    user = make_user(telegram_id=626261, credits=10)
    generation = charged(user, status=Status.FAILED)

    page, done = act(client, GENERATIONS, "refund_generations", [generation], reason="provider down", tell_user="on")
    resubmit(client, GENERATIONS, "refund_generations", [generation], page, reason="provider down", tell_user="on")

    assert workers.telegram.texts(chat_id=626261) == [
        f"Поддержка вернула на баланс 10 кредитов за заказ «A ceramic mug» (#{generation.pk}). Баланс: 10."
    ]
    assert any("бот сообщит пользователю" in text for text in said(done))
    (event,) = GenerationEvent.objects.filter(generation=generation, kind="refunded")
    assert event.detail == "возвращено кредитов: 10, сотрудник support: provider down"


def test_it_tells_an_english_user_in_english(client, support, workers):
    user = make_user(telegram_id=626262, credits=10, language_code="en")
    generation = charged(user, status=Status.QUEUED)

    act(client, GENERATIONS, "cancel_generations", [generation], reason="asked in chat", tell_user="on")

    assert workers.telegram.texts(chat_id=626262) == [
        f"Support cancelled order «A ceramic mug» (#{generation.pk}) and returned 10 credits to your balance. "
        "Balance: 10."
    ]
    assert GenerationEvent.objects.filter(generation=generation, kind="cancelled").exists()


def test_it_tells_nobody_when_staff_untick_it_or_nothing_was_refunded(client, support, workers):
    user = make_user(telegram_id=626263, credits=20)
    quiet = charged(user, status=Status.FAILED)
    done = charged(user, status=Status.COMPLETED)

    act(client, GENERATIONS, "refund_generations", [quiet], reason="quietly")  # the checkbox left unticked
    act(client, GENERATIONS, "refund_generations", [done], reason="not refundable", tell_user="on")

    assert workers.telegram.texts(chat_id=626263) == []
    assert Generation.objects.get(pk=quiet.pk).refund_sent_at is None


def test_it_shows_the_refund_on_the_page(client, support, workers):
    user = make_user(telegram_id=626264, credits=30)
    by_support = charged(user, status=Status.FAILED)
    automatic = charged(user, status=Status.FAILED)
    never = charged(user, status=Status.FAILED)
    act(client, GENERATIONS, "refund_generations", [by_support], reason="provider down")
    ledger.refund_generation(generation=automatic, reason="failed")
    at = timezone.localtime(ledger_row(by_support).created_at)

    def refund_field(generation):
        html = client.get(f"{GENERATIONS}{generation.pk}/change/").content.decode()
        return html.split("field-refund")[1].split('<div class="readonly">')[1].split("</div>")[0]

    assert "<label>Возврат:</label>" in client.get(f"{GENERATIONS}{never.pk}/change/").content.decode()
    assert "не было" in refund_field(never)
    assert f"{at:%H:%M}" in refund_field(by_support)
    assert "10 кр." in refund_field(by_support) and "сотрудник support" in refund_field(by_support)
    assert "Причина: provider down" in refund_field(by_support)
    assert "автоматически" in refund_field(automatic)


def ledger_row(generation):
    return generation.transactions.get(kind="generation_refund")


def test_it_records_an_operators_refund_in_the_attempt_history(workers):
    generation = charged(make_user(credits=10), status=Status.FAILED)

    services.support_refund(generation=generation, actor=None, reason="refund_generation command")

    (event,) = GenerationEvent.objects.filter(generation=generation, kind="refunded")
    assert event.detail == "возвращено кредитов: 10, оператор (manage.py): refund_generation command"
