"""A malformed KIE answer is that one generation's temporary error: read again with backoff, then failed once."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import CreditTransaction
from generations import pipeline
from generations.models import Generation
from generations.providers import get_provider
from generations.providers.base import CONFIGURATION, TEMPORARY, ProviderError
from tests.factories import make_user, place_order
from tests.fakes.kie_tasks import JUNK_SHAPES

pytestmark = pytest.mark.django_db


def processing(workers, commit, telegram_id=7171):
    (generation,) = place_order(make_user(credits=50, telegram_id=telegram_id), telegram=workers.telegram).generations
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    return generation


@pytest.mark.parametrize("shape", sorted(JUNK_SHAPES))
def test_it_turns_every_junk_shape_of_record_info_into_a_temporary_provider_error(workers, commit, shape):
    generation = processing(workers, commit)
    workers.kie.junk_for(generation.provider_task_id, shape)

    with pytest.raises(ProviderError) as raised:
        get_provider().get_task(generation.provider_task_id, key=workers.kie.keys[0])

    assert raised.value.error_class == TEMPORARY


def test_it_classifies_an_error_whose_msg_is_not_text_by_its_code(workers, commit):
    generation = processing(workers, commit)
    workers.kie.answer_next("/api/v1/jobs/recordInfo", {"code": 400, "msg": ["policy"], "data": None})

    with pytest.raises(ProviderError) as raised:
        get_provider().get_task(generation.provider_task_id, key=workers.kie.keys[0])

    assert (raised.value.error_class, raised.value.code) == (CONFIGURATION, 400)


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/file-stream-upload", {"code": 200, "msg": "success", "data": ["https://x/y.jpg"]}),
        ("/api/file-stream-upload", {"code": 200, "msg": "success", "data": {"downloadUrl": {"href": "x"}}}),
        ("/api/v1/jobs/createTask", {"code": 200, "msg": "success", "data": "task_1"}),
        ("/api/v1/jobs/createTask", {"code": 200, "msg": "success", "data": {"taskId": ["task_1"]}}),
        ("/api/v1/jobs/createTask", {"code": 200, "msg": "success", "data": {"taskId": "t" * 200}}),
        ("/api/v1/jobs/createTask", {"code": 500, "msg": {"error": "x"}}),
    ],
)
def test_it_turns_junk_from_upload_and_create_into_a_retry_of_that_generation(workers, commit, path, body):
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    workers.kie.answer_next(path, body)

    assert commit(pipeline.submit, generation_id=generation.pk) == "retrying"

    generation.refresh_from_db()
    assert generation.status == "queued" and generation.error_class == TEMPORARY


@pytest.mark.parametrize("body", [{"code": 200, "msg": "success", "data": {"credits": 5}}, [1], "junk"])
def test_it_turns_a_junk_credit_answer_into_a_provider_error(workers, body):
    workers.kie.answer_next("/api/v1/chat/credit", body)

    with pytest.raises(ProviderError):
        get_provider().credits()


def test_it_reads_a_junk_answering_task_again_later_and_resets_the_count_on_a_good_read(workers, commit):
    workers.kie.program(outcome="hang")
    generation = processing(workers, commit)
    workers.kie.junk_for(generation.provider_task_id, "data_not_object")

    before = timezone.now()
    assert [pipeline.poll(generation) for _ in range(3)] == ["error"] * 3

    generation.refresh_from_db()
    # 5 s, 10 s, 20 s: the third junk answer sends it back by 20 s, far behind tasks read every 2-3 s.
    assert generation.poll_errors == 3 and generation.next_poll_at >= before + timedelta(seconds=20)
    workers.kie.junk_for(generation.provider_task_id, None)
    assert pipeline.poll(generation) == "pending"
    generation.refresh_from_db()
    assert generation.poll_errors == 0 and generation.status == "processing"


def test_it_fails_and_refunds_once_after_too_many_junk_answers_in_a_row(workers, commit):
    generation = processing(workers, commit, telegram_id=7272)
    workers.kie.junk_for(generation.provider_task_id, "data_not_object")

    results = [commit(pipeline.poll, generation) for _ in range(pipeline.MAX_POLL_ERRORS + 2)]

    assert results == ["error"] * (pipeline.MAX_POLL_ERRORS + 2)
    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", TEMPORARY)
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    (message,) = workers.telegram.texts(chat_id=7272)
    assert f"#{generation.pk}" in message
    assert Generation.objects.get(pk=generation.pk).poll_errors == pipeline.MAX_POLL_ERRORS


def test_it_keeps_waiting_through_a_kie_outage_and_leaves_the_verdict_to_the_deadline(workers, commit):
    generation = processing(workers, commit, telegram_id=7373)
    for _ in range(pipeline.MAX_POLL_ERRORS + 2):
        workers.kie.answer_next(
            "/api/v1/jobs/recordInfo", {"code": 500, "msg": "server error"}, status=HTTPStatus.INTERNAL_SERVER_ERROR
        )

    results = [commit(pipeline.poll, generation) for _ in range(pipeline.MAX_POLL_ERRORS + 2)]

    assert results == ["error"] * (pipeline.MAX_POLL_ERRORS + 2)
    generation.refresh_from_db()
    # KIE may still be making it: an outage only spaces the reads out, it refunds nothing.
    assert generation.status == "processing" and generation.poll_errors == pipeline.MAX_POLL_ERRORS + 2
    assert not CreditTransaction.objects.filter(generation=generation, kind="generation_refund").exists()
    # KIE is back: the task is read as it is, pending or done.
    assert commit(pipeline.poll, generation) in ("pending", "success")
    generation.refresh_from_db()
    assert generation.status in ("processing", "completed")
