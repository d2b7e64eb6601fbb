import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from generations.models import Generation
from tests.factories import make_generations, make_user
from tests.staff import act, resubmit, said

pytestmark = pytest.mark.django_db
GENERATIONS = "/admin/generations/generation/"
Kind = CreditTransaction.Kind
Status = Generation.Status


def charged(user, *, status, cost=10, **fields):
    """A generation charged through the ledger, then left in `status` (a failure whose refund never ran)."""
    (generation,) = make_generations(user, cost=cost)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=status, **fields)
    return Generation.objects.get(pk=generation.pk)


def balance(user):
    return TelegramUser.objects.get(pk=user.pk).balance


def test_it_refunds_a_failed_generation_once_with_who_and_why(client, support):
    user = make_user(credits=10)
    generation = charged(user, status=Status.FAILED, error_class="provider")

    page, done = act(client, GENERATIONS, "refund_generations", [generation], reason="the provider failed")
    refused = resubmit(client, GENERATIONS, "refund_generations", [generation], page, reason="pressed twice")

    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    refund = CreditTransaction.objects.get(generation=generation, kind=Kind.GENERATION_REFUND)
    assert (refund.amount, refund.actor, refund.reason) == (10, support, "the provider failed")
    assert balance(user) == 10
    assert any("возвращено кредитов: 10, баланс 10" in text for text in said(done))
    # Refunded, it is no longer offered: the resubmitted form finds nothing to refund.
    assert "за которую ещё не было возврата" in refused.content.decode()
    assert CreditTransaction.objects.filter(generation=generation, kind=Kind.GENERATION_REFUND).count() == 1
    (log,) = LogEntry.objects.filter(object_id=str(generation.pk))
    assert (log.user, log.get_change_message()) == (support, "Возвращено кредитов: 10. Причина: the provider failed")


def test_it_refunds_a_stuck_generation_by_cancelling_it_first(client, support):
    user = make_user(credits=10)
    generation = charged(user, status=Status.PROCESSING)

    act(client, GENERATIONS, "refund_generations", [generation], reason="stuck for an hour")

    assert Generation.objects.get(pk=generation.pk).status == Status.CANCELLED
    assert balance(user) == 10


def test_it_refuses_to_refund_a_completed_generation(client, support):
    user = make_user(credits=10)
    generation = charged(user, status=Status.COMPLETED)

    page, done = act(client, GENERATIONS, "refund_generations", [generation], reason="did not like it")

    for response in (page, done):
        assert 'id="action-form"' not in response.content.decode()
        assert "Вернуть можно только оплаченную, не завершившуюся успешно генерацию" in response.content.decode()
    assert balance(user) == 0


def test_it_cancels_a_generation_in_the_works_and_refunds_it(client, support):
    user = make_user(credits=10)
    generation = charged(user, status=Status.QUEUED)

    _, done = act(client, GENERATIONS, "cancel_generations", [generation], reason="the user asked in chat")

    assert Generation.objects.get(pk=generation.pk).status == Status.CANCELLED
    refund = CreditTransaction.objects.get(generation=generation, kind=Kind.GENERATION_REFUND)
    assert (refund.actor, refund.reason) == (support, "the user asked in chat")
    assert balance(user) == 10
    assert LogEntry.objects.get(object_id=str(generation.pk)).get_change_message() == (
        "Отменена. Причина: the user asked in chat"
    )
    assert any("отменена, возвращено кредитов: 10" in text for text in said(done))


def test_it_does_not_cancel_a_finished_generation(client, support):
    user = make_user(credits=10)
    generation = charged(user, status=Status.COMPLETED)

    page, done = act(client, GENERATIONS, "cancel_generations", [generation], reason="too late")

    assert Generation.objects.get(pk=generation.pk).status == Status.COMPLETED
    for response in (page, done):
        assert "Отменить можно только генерацию, которая ещё в работе." in response.content.decode()


def test_it_retries_a_failed_generation_as_a_new_charged_order_once(client, support, enqueued):
    user = make_user(credits=30)
    failed = charged(user, status=Status.FAILED, wishes="on a wooden table")
    ledger.refund_generation(generation=failed, reason="failed")

    page, done = act(client, GENERATIONS, "retry_generations", [failed], reason="the provider is back")
    again = resubmit(client, GENERATIONS, "retry_generations", [failed], page, reason="the provider is back")

    retry = Generation.objects.exclude(pk=failed.pk).get()
    assert (retry.status, retry.kind, retry.template, retry.description, retry.wishes) == (
        Status.QUEUED,
        failed.kind,
        failed.template,
        failed.description,
        "on a wooden table",
    )
    assert retry.order_id != failed.order_id
    assert CreditTransaction.objects.filter(generation=retry, kind=Kind.GENERATION_CHARGE).exists()
    assert balance(user) == 30 - retry.cost
    assert any(f"повторена как #{retry.pk}" in text for text in said(done))
    assert any("эта форма уже применена" in text for text in said(again))


def test_it_refuses_a_retry_the_balance_does_not_cover_with_the_reason(client, support, enqueued):
    user = make_user(credits=10)
    failed = charged(user, status=Status.FAILED)

    _, done = act(client, GENERATIONS, "retry_generations", [failed], reason="try again")

    assert Generation.objects.count() == 1
    assert any("не повторена: не хватает кредитов" in text for text in said(done))


def test_it_retries_only_failed_or_cancelled_generations(client, support):
    user = make_user(credits=10)
    completed = charged(user, status=Status.COMPLETED)

    page = client.post(GENERATIONS, {"action": "retry_generations", "_selected_action": [completed.pk]})

    assert "Повторить можно только неудавшуюся или отменённую генерацию." in page.content.decode()
    assert 'id="action-form"' not in page.content.decode()
    assert Generation.objects.count() == 1
