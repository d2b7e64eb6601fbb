import base64
import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone

from generations import pipeline
from generations.models import Generation
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db
HMAC_KEY = "kie-hmac-test-key"


@pytest.fixture
def processing(workers, settings):
    settings.KIE_WEBHOOK_HMAC_KEY = HMAC_KEY
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    return generation


def post(client, generation, *, task_id=None, timestamp=None, signature=None, body=None):
    task_id = task_id or generation.provider_task_id
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    if signature is None:
        digest = hmac.new(HMAC_KEY.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
    payload = (
        body
        if body is not None
        else json.dumps(
            {
                "code": 200,
                "msg": "success",
                "data": {
                    "taskId": task_id,
                    "state": "success",
                    "resultJson": '{"resultUrls": ["https://evil.example/x.mp4"]}',
                },
            }
        )
    )
    return client.post(
        f"/generations/kie/callback/{generation.callback_token}/",
        payload,
        content_type="application/json",
        HTTP_X_WEBHOOK_TIMESTAMP=timestamp,
        HTTP_X_WEBHOOK_SIGNATURE=signature,
    )


def test_it_wakes_the_task_up_without_trusting_the_body(client, processing):
    Generation.objects.filter(pk=processing.pk).update(next_poll_at=timezone.now() + timezone.timedelta(minutes=5))

    response = post(client, processing)

    processing.refresh_from_db()
    assert response.status_code == 200
    assert processing.next_poll_at <= timezone.now()
    assert processing.status == "processing" and processing.result_url == ""


@pytest.mark.parametrize(
    "forgery",
    [
        {"signature": "bm90LWEtc2lnbmF0dXJl"},
        {"timestamp": "1000000000"},
        {"timestamp": "not-a-time"},
    ],
)
def test_it_refuses_a_forged_callback(client, processing, forgery):
    before = Generation.objects.get(pk=processing.pk).next_poll_at

    response = post(client, processing, **forgery)

    assert response.status_code == 403
    assert Generation.objects.get(pk=processing.pk).next_poll_at == before


def test_it_ignores_a_callback_about_another_task(client, processing):
    before = processing.next_poll_at

    assert post(client, processing, task_id="task_someone_else").status_code == 200

    assert Generation.objects.get(pk=processing.pk).next_poll_at == before


def test_it_ignores_a_callback_for_a_finished_generation(client, processing):
    Generation.objects.filter(pk=processing.pk).update(status="completed", next_poll_at=None)

    assert post(client, processing).status_code == 200

    assert Generation.objects.get(pk=processing.pk).status == "completed"


def test_it_does_not_know_an_unguessed_token(client, processing):
    response = client.post("/generations/kie/callback/guessed-token/", "{}", content_type="application/json")

    assert response.status_code == 404


def test_it_answers_400_to_junk(client, processing):
    assert post(client, processing, body="<html>").status_code == 400


def test_it_takes_a_callback_that_comes_before_the_task_is_recorded(client, workers, settings):
    settings.KIE_WEBHOOK_HMAC_KEY = ""
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations

    response = client.post(
        f"/generations/kie/callback/{generation.callback_token}/",
        json.dumps({"code": 200, "data": {"taskId": "task_early"}}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert Generation.objects.get(pk=generation.pk).status == "queued"
