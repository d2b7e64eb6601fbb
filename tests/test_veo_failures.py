"""Veo 3.1 failures against the fake KIE: each successFlag failure and create code classified, refunded at most
once, the seller told once; junk record-info answers are that generation's temporary error."""

from http import HTTPStatus

import pytest
from django.utils import timezone

from generations import pipeline
from generations.models import Generation
from generations.providers import get_provider
from generations.providers.base import BILLING, CONFIGURATION, RATE_LIMIT, TEMPORARY, USER, ProviderError
from tests.fakes.kie_veo import VEO_JUNK_SHAPES
from tests.veo_helpers import VEO_GENERATE, VEO_READ, assert_charged_once, make_due, veo_on, veo_order

pytestmark = pytest.mark.django_db
SELLER = 6262
REFUNDED = "Мы вернули на баланс"
# The envelope-level junk of kie_tasks.JUNK_SHAPES: it breaks any endpoint's answer, Veo's as well.
ENVELOPE_JUNK = (
    "data_not_object",
    "data_list",
    "data_null",
    "msg_not_string",
    "msg_number",
    "code_missing",
    "body_list",
    "body_string",
    "deeply_nested",
)


@pytest.fixture
def veo(workers, settings):
    veo_on(settings)
    return workers


def submitted(workers, commit):
    (generation,) = veo_order(workers, telegram_id=SELLER)
    assert commit(pipeline.submit, generation_id=generation.pk) == "processing"
    generation.refresh_from_db()
    return generation


def to_seller(workers):
    return workers.telegram.texts(chat_id=SELLER)


def alerts(workers):
    return workers.telegram.texts(chat_id=900001)


# -- a task Veo failed (successFlag 2 or 3) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, code, message",
    [
        (2, "400", "Your prompt was flagged by Website as violating content policies"),
        (3, "", "Public error: unsafe image upload"),
        (3, "422", "Your request was rejected by Flow(The image contains a minor)."),
        (2, "451", "Unavailable for legal reasons"),
    ],
)
def test_it_fails_refunds_and_tells_once_a_veo_task_refused_for_its_content(veo, commit, flag, code, message):
    veo.kie.program(outcome="fail", fail_flag=flag, fail_code=code, fail_msg=message)
    generation = submitted(veo, commit)

    assert commit(pipeline.poll, generation) == "fail"
    commit(pipeline.poll, generation)  # a second read of the same failure changes nothing

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", USER)
    assert message[:40] in generation.error_message
    assert len(veo.kie.requests(VEO_GENERATE)) == 1
    assert_charged_once(generation, refunded=True)
    (told,) = to_seller(veo)
    assert REFUNDED in told and "20 кредитов" in told


@pytest.mark.parametrize(
    "flag, code, message",
    [
        (3, "501", "Generation failed"),
        (3, "", ""),
        (2, "400", "Failed to fetch the image. Kindly verify any access limits"),
        (2, "500", "Internal error, please try again later"),
    ],
)
def test_it_retries_a_veo_task_failed_for_its_own_reasons_then_fails_and_refunds_once(veo, commit, flag, code, message):
    veo.kie.program(outcome="fail", fail_flag=flag, fail_code=code, fail_msg=message, times=pipeline.MAX_ATTEMPTS)
    generation = submitted(veo, commit)
    tasks = []

    for attempt in range(1, pipeline.MAX_ATTEMPTS + 1):
        generation.refresh_from_db()
        assert generation.attempts == attempt
        tasks.append(generation.provider_task_id)
        commit(pipeline.poll, generation)
        generation.refresh_from_db()
        if attempt < pipeline.MAX_ATTEMPTS:
            assert (generation.status, generation.error_class) == ("queued", TEMPORARY)
            make_due(generation)
            assert commit(pipeline.submit, generation_id=generation.pk) == "processing"

    assert (generation.status, generation.error_class, generation.attempts) == ("failed", TEMPORARY, 3)
    assert len(set(tasks)) == 3 and len(veo.kie.requests(VEO_GENERATE)) == 3
    assert_charged_once(generation, refunded=True)
    messages = to_seller(veo)
    assert len(messages) == 2 and "пробую ещё раз" in messages[0] and REFUNDED in messages[1]


def test_it_classifies_a_veo_failure_without_an_error_code_by_its_success_flag(veo, commit):
    veo.kie.program(outcome="fail", fail_flag=2, fail_code="", fail_msg="")
    generation = submitted(veo, commit)

    state = get_provider().get_task(generation.provider_task_id, key=veo.kie.keys[0], model="veo3_fast")

    assert (state.state, state.fail_code, state.fail_message) == ("fail", "successFlag 2", "")


# -- body codes when the task is created ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "create_code, http_status, times, error_class",
    [
        (422, None, 1, USER),
        (451, None, 1, USER),
        (400, None, 1, CONFIGURATION),
        (401, None, 2, CONFIGURATION),  # once a key, both keys
        (404, None, 1, CONFIGURATION),
        (505, None, 1, CONFIGURATION),
        (402, None, 2, BILLING),
        (429, HTTPStatus.TOO_MANY_REQUESTS, 2, RATE_LIMIT),
        (455, None, 1, TEMPORARY),
        (500, HTTPStatus.INTERNAL_SERVER_ERROR, 1, TEMPORARY),
        (501, None, 1, TEMPORARY),
    ],
)
def test_it_classifies_every_body_code_veo_answers_a_create_with(veo, create_code, http_status, times, error_class):
    veo.kie.program(create_code=create_code, create_http_status=http_status, times=times)

    with pytest.raises(ProviderError) as raised:
        get_provider().create_task(
            kind="video", prompt="A mug", image_url="https://files.example.com/p.jpg", callback_url=None, model="veo3"
        )

    assert (raised.value.error_class, raised.value.code) == (error_class, create_code)
    assert veo.kie.tasks == {} and len(veo.kie.requests(VEO_GENERATE)) == times


def test_it_fails_refunds_and_explains_a_veo_create_refused_with_422(veo, commit):
    (generation,) = veo_order(veo, telegram_id=SELLER)
    veo.kie.program(create_code=422)

    assert commit(pipeline.submit, generation_id=generation.pk) == "failed"

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", USER)
    assert_charged_once(generation, refunded=True)
    (told,) = to_seller(veo)
    assert "правила" in told and REFUNDED in told


def test_it_pauses_veo_orders_without_failing_them_when_kie_is_out_of_credits(veo, commit):
    (generation,) = veo_order(veo, telegram_id=SELLER)
    veo.kie.program(create_code=402, times=2)  # one for each key

    assert commit(pipeline.submit, generation_id=generation.pk) == "paused"

    generation.refresh_from_db()
    assert (generation.status, generation.error_class, generation.attempts) == ("queued", BILLING, 0)
    assert_charged_once(generation, refunded=False)
    assert len(alerts(veo)) == 1 and not any(REFUNDED in text for text in to_seller(veo))


def test_it_fails_refunds_and_alerts_on_a_veo_configuration_error(veo, commit):
    (generation,) = veo_order(veo, telegram_id=SELLER)
    veo.kie.program(create_code=505)

    commit(pipeline.submit, generation_id=generation.pk)

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == ("failed", CONFIGURATION)
    assert_charged_once(generation, refunded=True)
    assert len(alerts(veo)) == 1


def test_it_backs_off_a_rate_limited_veo_create_without_burning_an_attempt(veo, commit):
    (generation,) = veo_order(veo, telegram_id=SELLER)
    veo.kie.program(create_code=429, create_http_status=HTTPStatus.TOO_MANY_REQUESTS, times=2)

    assert commit(pipeline.submit, generation_id=generation.pk) == "rate limited"

    generation.refresh_from_db()
    assert (generation.status, generation.error_class, generation.attempts) == ("queued", RATE_LIMIT, 0)
    assert generation.next_attempt_at > timezone.now()
    assert_charged_once(generation, refunded=False)
    assert to_seller(veo) == []


# -- junk record-info answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ENVELOPE_JUNK + tuple(sorted(VEO_JUNK_SHAPES)))
def test_it_turns_every_junk_veo_record_into_a_temporary_provider_error(veo, commit, shape):
    generation = submitted(veo, commit)
    veo.kie.junk_for(generation.provider_task_id, shape)

    with pytest.raises(ProviderError) as raised:
        get_provider().get_task(generation.provider_task_id, key=veo.kie.keys[0], model="veo3_fast")

    assert raised.value.error_class == TEMPORARY


@pytest.mark.parametrize("shape", ["veo_success_flag_string", "veo_result_urls_not_list", "veo_response_missing"])
def test_it_reads_a_veo_task_again_after_a_junk_answer_and_delivers_it(veo, commit, shape):
    generation = submitted(veo, commit)
    veo.kie.junk_for(generation.provider_task_id, shape)

    assert commit(pipeline.poll, generation) == "error"

    generation.refresh_from_db()
    assert (generation.status, generation.poll_errors) == ("processing", 1)
    assert generation.next_poll_at > timezone.now()
    veo.kie.junk_for(generation.provider_task_id, None)
    assert commit(pipeline.poll, generation) == "success"
    assert Generation.objects.get(pk=generation.pk).status == "completed"
    assert len(veo.kie.requests(VEO_READ)) == 2
    assert_charged_once(generation, refunded=False)
