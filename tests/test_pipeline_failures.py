"""Every error class, duplicate deliveries, dead workers and cancels: one charge, at most one refund,
each message once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import ledger
from billing.models import CreditTransaction
from generations import pipeline, services, watchdog
from generations.models import Generation
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


def order(workers, count=1, **options):
    user = make_user(credits=100, telegram_id=5151)
    return place_order(user, telegram=workers.telegram, count=count, **options).generations


def texts_to_seller(workers):
    return workers.telegram.texts(chat_id=5151)


def alerts(workers):
    return workers.telegram.texts(chat_id=900001)


def assert_money_right(generation, *, refunded):
    rows = CreditTransaction.objects.filter(generation=generation)
    assert rows.filter(kind="generation_charge").count() == 1
    assert rows.filter(kind="generation_refund").count() == (1 if refunded else 0)
    assert ledger.find_mismatches() == []


def make_due(generation):
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=timezone.now())


def test_it_fails_refunds_and_explains_a_request_the_rules_forbid(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(create_code=422)

    assert commit(pipeline.submit, generation_id=generation.pk) == "failed"

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", "user")
    assert_money_right(generation, refunded=True)
    (message,) = texts_to_seller(workers)
    assert "правила" in message and "Мы вернули на баланс 10 кредитов." in message


def test_it_retries_a_temporary_failure_with_backoff_then_fails_and_refunds(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(create_code=500, times=3)

    assert commit(pipeline.submit, generation_id=generation.pk) == "retrying"
    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == ("queued", 1)
    assert generation.next_attempt_at > timezone.now() + timedelta(seconds=25)
    for _ in range(2):
        make_due(generation)
        commit(pipeline.submit, generation_id=generation.pk)

    generation.refresh_from_db()
    assert (generation.status, generation.attempts, generation.error_class) == ("failed", 3, "temporary")
    assert_money_right(generation, refunded=True)
    messages = texts_to_seller(workers)
    assert len(messages) == 2 and "пробую ещё раз" in messages[0] and "Мы вернули на баланс" in messages[1]


def test_it_backs_off_a_rate_limit_without_burning_attempts(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(create_code=429, times=2)  # one for each key

    assert commit(pipeline.submit, generation_id=generation.pk) == "rate limited"

    generation.refresh_from_db()
    assert (generation.status, generation.attempts, generation.error_class) == ("queued", 0, "rate_limit")
    assert texts_to_seller(workers) == []


def test_it_pauses_instead_of_failing_and_alerts_operators_once_when_kie_runs_out_of_credits(workers, commit):
    # Out of credits no longer fails the queue order by order: tests/test_kie_billing_pause.py has the rest.
    generations = order(workers, count=3)
    workers.kie.program(create_code=402, times=3)

    for generation in generations:
        commit(pipeline.submit, generation_id=generation.pk)

    assert set(Generation.objects.values_list("status", "error_class")) == {("queued", "billing"), ("queued", "")}
    for generation in generations:
        assert_money_right(generation, refunded=False)
    assert len(alerts(workers)) == 1 and "на счёте нет кредитов" in alerts(workers)[0]
    assert not any("Мы вернули на баланс" in text for text in texts_to_seller(workers))


def test_it_rotates_to_the_next_key_when_one_is_rejected(workers, commit):
    (generation,) = order(workers)
    workers.kie.set_key("kie-key-1", code=401)

    assert commit(pipeline.submit, generation_id=generation.pk) == "processing"

    assert {call.key for call in workers.kie.requests("createTask")} >= {"kie-key-2"}


def test_it_fails_on_a_configuration_error_once_every_key_is_rejected(workers, commit):
    (generation,) = order(workers)
    for key in workers.kie.keys:
        workers.kie.set_key(key, code=401)

    commit(pipeline.submit, generation_id=generation.pk)

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", "configuration")
    assert_money_right(generation, refunded=True)
    assert len(alerts(workers)) == 1


def test_it_fails_a_task_the_provider_flagged(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="Your prompt was flagged by content policy")
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()

    commit(pipeline.poll, generation)

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", "user")
    assert_money_right(generation, refunded=True)


def test_it_makes_a_new_task_when_the_provider_failed_one_for_its_own_reasons(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="internal error")
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    first_task = generation.provider_task_id

    commit(pipeline.poll, generation)
    make_due(generation)
    commit(pipeline.submit, generation_id=generation.pk)

    generation.refresh_from_db()
    assert generation.status == "processing" and generation.provider_task_id != first_task
    assert len(workers.kie.requests("createTask")) == 2
    assert len(texts_to_seller(workers)) == 1


def test_it_shrugs_off_a_junk_answer_and_reads_again(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(junk=True)
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()

    assert pipeline.poll(generation) == "error"
    generation.refresh_from_db()
    assert generation.status == "processing" and generation.next_poll_at > timezone.now()
    assert commit(pipeline.poll, generation) == "success"


def test_it_fails_and_refunds_a_task_that_hangs_past_its_deadline(workers, commit):
    (generation,) = order(workers)
    workers.kie.program(outcome="hang")
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    commit(pipeline.poll, generation)
    Generation.objects.filter(pk=generation.pk).update(timeout_at=timezone.now() - timedelta(seconds=1))

    commit(watchdog.run)
    commit(watchdog.run)

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", "timeout")
    assert_money_right(generation, refunded=True)
    assert len(texts_to_seller(workers)) == 1


def test_it_creates_one_provider_task_when_the_submit_task_is_delivered_twice(workers, commit):
    (generation,) = order(workers)

    results = [commit(pipeline.submit, generation_id=generation.pk) for _ in range(2)]

    assert results == ["processing", "not queued"]
    assert len(workers.kie.requests("createTask")) == 1


def test_it_sends_one_result_when_the_finish_task_is_delivered_twice(workers, commit):
    (generation,) = order(workers)
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    commit(pipeline.poll, generation)

    assert pipeline.finish(generation_id=generation.pk) == "nothing to finish"
    assert len(workers.telegram.requests("sendVideo")) == 1


def test_it_requeues_a_row_a_worker_died_with_before_calling_the_provider(workers, commit):
    (generation,) = order(workers)
    Generation.objects.filter(pk=generation.pk).update(
        status="submitting", attempts=1, updated_at=timezone.now() - timedelta(minutes=10)
    )

    commit(watchdog.run)

    generation.refresh_from_db()
    assert generation.status == "queued" and workers.kie.requests("createTask") == []
    assert_money_right(generation, refunded=False)


def test_it_fails_rather_than_duplicates_a_task_the_provider_may_hold(workers, commit):
    (generation,) = order(workers)
    Generation.objects.filter(pk=generation.pk).update(
        status="submitting",
        attempts=1,
        create_started_at=timezone.now() - timedelta(minutes=10),
        updated_at=timezone.now() - timedelta(minutes=10),
    )

    commit(watchdog.run)

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", "lost")
    assert workers.kie.requests("createTask") == []
    assert_money_right(generation, refunded=True)


def test_it_discards_the_late_result_of_a_generation_cancelled_while_processing(workers, commit):
    (generation,) = order(workers)
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()

    assert services.cancel_generation(generation=generation, reason="cancelled by the user")
    commit(pipeline.poll, generation)

    generation.refresh_from_db()
    assert generation.status == "cancelled" and not generation.result_file
    assert workers.telegram.requests("sendVideo") == []
    assert_money_right(generation, refunded=True)


def test_it_pauses_submissions_when_the_provider_fails_for_everyone(workers, commit, settings):
    settings.BREAKER_FAILURES = 3
    generations = order(workers, count=5)
    workers.kie.program(create_code=500, times=3)

    results = [commit(pipeline.submit, generation_id=g.pk) for g in generations]

    assert results == ["retrying"] * 3 + ["provider paused"] * 2
    assert list(Generation.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 1, 1, 0, 0]
    assert len(alerts(workers)) == 1 and "paused" in alerts(workers)[0]
    assert pipeline.dispatch_due() == 0
