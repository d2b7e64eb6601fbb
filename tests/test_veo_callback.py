"""Veo's callbacks (KIE's Veo shape: the outcome as body code, the result under data.info) are wake-ups only."""

import dataclasses
import json
import time

import pytest
from django.utils import timezone

from generations import pipeline
from generations.models import Generation
from tests.fakes.kie_tasks import sign
from tests.veo_helpers import veo_on, veo_order

pytestmark = pytest.mark.django_db
HMAC_KEY = "kie-hmac-veo-key"


@pytest.fixture
def processing(workers, settings):
    veo_on(settings)
    settings.KIE_WEBHOOK_HMAC_KEY = HMAC_KEY
    workers.kie.program(outcome="hang")
    (generation,) = veo_order(workers, telegram_id=6464)
    pipeline.submit(generation_id=generation.pk)
    Generation.objects.filter(pk=generation.pk).update(next_poll_at=timezone.now() + timezone.timedelta(minutes=5))
    generation.refresh_from_db()
    return generation


def veo_callback(workers, generation, *, outcome="success", task_id=None):
    """The body the fake KIE would send once the task ended so (never read by the app beyond data.taskId)."""
    task = workers.kie.tasks[generation.provider_task_id]
    ended = dataclasses.replace(task.program, outcome=outcome, fail_code="501", fail_msg="Generation failed")
    body = dataclasses.replace(task, program=ended).projected().callback_body()
    if task_id is not None:
        body["data"]["taskId"] = task_id
    return body


def post(client, generation, body, *, signed=True):
    headers = {}
    if signed:
        timestamp = str(int(time.time()))
        headers = {
            "HTTP_X_WEBHOOK_TIMESTAMP": timestamp,
            "HTTP_X_WEBHOOK_SIGNATURE": sign(HMAC_KEY, body["data"]["taskId"], timestamp),
        }
    return client.post(
        f"/generations/kie/callback/{generation.callback_token}/",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def woken(generation):
    return Generation.objects.get(pk=generation.pk).next_poll_at <= timezone.now()


@pytest.mark.parametrize("outcome", ["success", "fail"])
def test_it_wakes_a_veo_task_up_on_a_signed_callback_without_trusting_it(client, workers, processing, outcome):
    body = veo_callback(workers, processing, outcome=outcome)
    assert body["code"] == (200 if outcome == "success" else 501)

    assert post(client, processing, body).status_code == 200

    generation = Generation.objects.get(pk=processing.pk)
    assert woken(processing) and (generation.status, generation.result_url) == ("processing", "")
    assert workers.kie.tasks[processing.provider_task_id].state != "success"  # the fake's task is still running


def test_it_refuses_an_unsigned_veo_callback_when_callbacks_are_signed(client, workers, processing):
    response = post(client, processing, veo_callback(workers, processing), signed=False)

    assert response.status_code == 403 and not woken(processing)


def test_it_takes_an_unsigned_veo_callback_when_no_hmac_key_is_set(client, workers, processing, settings):
    settings.KIE_WEBHOOK_HMAC_KEY = ""

    assert post(client, processing, veo_callback(workers, processing), signed=False).status_code == 200

    assert woken(processing)


def test_it_ignores_a_veo_callback_about_a_task_it_does_not_know(client, workers, processing):
    body = veo_callback(workers, processing, task_id="veo_task_someone_else")

    assert post(client, processing, body).status_code == 200

    assert not woken(processing)


def test_it_does_not_know_a_veo_callback_with_a_guessed_token(client, workers, processing):
    body = veo_callback(workers, processing)

    response = client.post("/generations/kie/callback/guessed/", json.dumps(body), content_type="application/json")

    assert response.status_code == 404 and not woken(processing)


def test_it_answers_400_to_a_veo_callback_without_data(client, processing):
    response = client.post(
        f"/generations/kie/callback/{processing.callback_token}/",
        json.dumps({"code": 500, "msg": "Internal error", "data": None}),
        content_type="application/json",
    )

    assert response.status_code == 400 and not woken(processing)
