"""The KIE fake's Veo 3.1 API (generate, record-info, callbacks), driven over HTTP with plain httpx."""

import hmac
import json

import httpx
import pytest

from tests.fakes.kie_veo import VEO_JUNK_SHAPES
from tests.test_fake_kie import (  # noqa: F401  (fixtures, named by the tests' parameters)
    KEY_2,
    PHOTO,
    client,
    create_task,
    expected_signature,
    kie,
    receiver,
    record,
)

LAST_FRAME = "https://files.example.com/neurocards/last.jpg"


def veo(**changes):
    body = {
        "prompt": "The mug turns slowly on a wooden table",
        "imageUrls": [PHOTO],
        "model": "veo3_fast",
        "aspect_ratio": "9:16",
        "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
        "enableFallback": False,
        "enableTranslation": True,
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def generate(client, body=None, **changes):
    return client.post("/api/v1/veo/generate", json=body if body is not None else veo(**changes))


def veo_task(client, **changes):
    answer = generate(client, **changes).json()
    assert answer["code"] == 200, answer
    return answer["data"]["taskId"]


def read(client, task_id, key=None):
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return client.get("/api/v1/veo/record-info", params={"taskId": task_id}, headers=headers)


# -- the happy path ---------------------------------------------------------------------------------------


def test_it_generates_a_veo_video_and_reports_it_with_success_flag_1(kie, client):
    kie.program(after_polls=2)
    answer = generate(client).json()
    task_id = answer["data"]["taskId"]

    first = read(client, task_id).json()["data"]
    second = read(client, task_id).json()["data"]

    assert (answer["code"], answer["msg"]) == (200, "success") and task_id.startswith("veo_task_")
    assert (first["successFlag"], first["response"], first["errorCode"]) == (0, None, None)
    assert second["successFlag"] == 1 and json.loads(second["paramJson"]) == veo()
    response = second["response"]
    assert response["resultUrls"] == [f"{kie.base_url}/results/{task_id}.mp4"]
    assert isinstance(response["originUrls"], list) and response["resolution"]
    video = httpx.get(response["resultUrls"][0])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert kie.tasks[task_id].model == "veo3_fast"


@pytest.mark.parametrize(
    "changes",
    [
        {"model": "veo3"},
        {"model": None},  # KIE's default: veo3_fast
        {"imageUrls": [PHOTO, LAST_FRAME]},
        {"aspect_ratio": "Auto"},
        {"aspect_ratio": "16:9", "seeds": 12345, "watermark": "NeuroCards"},
        {"generationType": "REFERENCE_2_VIDEO"},
        {"generationType": "TEXT_2_VIDEO", "imageUrls": None},
        {"generationType": None},
        {"callBackUrl": "https://bot.example.com/generations/kie/callback/t/"},
    ],
)
def test_it_takes_every_documented_variant_of_a_generate_body(client, changes):
    assert generate(client, **changes).json()["code"] == 200


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"prompt": None}, "prompt is required"),
        ({"prompt": "   "}, "prompt is required"),
        ({"model": "veo3_pro"}, "model must be one of"),
        ({"model": "sora-2-image-to-video"}, "model must be one of"),
        ({"aspect_ratio": "portrait"}, "aspect_ratio must be one of"),
        ({"generationType": "IMAGE_2_VIDEO"}, "generationType must be one of"),
        ({"model": "veo3", "generationType": "REFERENCE_2_VIDEO"}, "only supported by veo3_fast"),
        ({"imageUrls": None}, "imageUrls must be a list of 1 or 2"),
        ({"imageUrls": []}, "imageUrls must be a list of 1 or 2"),
        ({"imageUrls": [PHOTO, LAST_FRAME, PHOTO]}, "imageUrls must be a list of 1 or 2"),
        ({"imageUrls": PHOTO}, "imageUrls must be a list of 1 or 2"),
        ({"imageUrls": ["ftp://files.example.com/a.jpg"]}, "imageUrls must be a list of 1 or 2"),
        ({"generationType": "TEXT_2_VIDEO"}, "not accepted by TEXT_2_VIDEO"),
        ({"enableFallback": "false"}, "enableFallback must be a boolean"),
        ({"enableTranslation": 1}, "enableTranslation must be a boolean"),
        ({"seeds": 7}, "seeds must be an integer"),
        ({"callBackUrl": "bot.example.com/callback"}, "callBackUrl must be an http(s) URL"),
    ],
)
def test_it_refuses_a_generate_body_kie_would_refuse_with_422(kie, client, changes, words):
    answer = generate(client, **changes)

    assert answer.status_code == 200 and answer.json()["code"] == 422 and words in answer.json()["msg"]
    assert kie.tasks == {}


# -- failures, scripted ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [2, 3])
def test_it_fails_a_veo_task_with_the_success_flag_code_and_message_it_was_given(kie, client, flag):
    kie.program(outcome="fail", fail_flag=flag, fail_code="400", fail_msg="Your prompt was flagged by Website")
    task_id = veo_task(client)

    data = read(client, task_id).json()["data"]

    assert (data["successFlag"], data["errorCode"], data["errorMessage"]) == (
        flag,
        400,
        "Your prompt was flagged by Website",
    )
    assert data["response"] is None


def test_it_answers_scripted_create_codes_and_key_codes_on_the_veo_api(kie, client):
    kie.program(create_code=402)
    kie.program(create_http_status=500)
    kie.set_key(KEY_2, code=401)

    out_of_credits = generate(client)
    server_error = generate(client)
    refused = client.post("/api/v1/veo/generate", json=veo(), headers={"Authorization": f"Bearer {KEY_2}"})

    assert (out_of_credits.status_code, out_of_credits.json()["code"]) == (200, 402)
    assert (server_error.status_code, server_error.json()["code"]) == (500, 500)
    assert refused.json()["code"] == 401 and kie.tasks == {}


def test_it_keeps_a_hanging_veo_task_generating(kie, client):
    kie.program(outcome="hang")
    task_id = veo_task(client)

    flags = [read(client, task_id).json()["data"]["successFlag"] for _ in range(3)]

    assert flags == [0, 0, 0]


def test_it_knows_veo_tasks_and_jobs_each_at_their_own_endpoint(kie, client):
    veo_id = veo_task(client)
    job_id = create_task(client)

    assert read(client, job_id).json()["code"] == 404
    assert record(client, veo_id).json()["code"] == 404
    assert read(client, "veo_task_never_made").json()["code"] == 404
    assert client.get("/api/v1/veo/record-info").json()["code"] == 400


def test_it_counts_veo_reads_in_the_keys_read_limit(kie, client):
    task_id = veo_task(client)

    codes = [read(client, task_id).status_code for _ in range(11)]

    assert codes == [200] * 10 + [429] and kie.too_many == 1


@pytest.mark.parametrize("shape", sorted(VEO_JUNK_SHAPES))
def test_it_answers_veo_junk_on_request_without_moving_the_task(kie, client, shape):
    kie.program(after_polls=2)
    task_id = veo_task(client)
    kie.junk_for(task_id, shape)

    junk = read(client, task_id)
    kie.junk_for(task_id, None)

    assert junk.status_code == 200 and junk.json()["data"] != read(client, task_id).json()["data"]
    assert kie.tasks[task_id].polls == 1


def test_it_refuses_an_unknown_fail_flag_in_the_test_itself(kie):
    with pytest.raises(ValueError):
        kie.program(outcome="fail", fail_flag=1)


# -- callbacks ----------------------------------------------------------------------------------------------


def test_it_posts_a_signed_veo_callback_in_veos_shape_when_a_task_finishes(kie, client, receiver):
    kie.hmac_key = "webhook-hmac-secret"
    task_id = veo_task(client, callBackUrl=receiver.url)

    polled = read(client, task_id).json()["data"]
    [(headers, body)] = receiver.wait_for(1)

    body = json.loads(body)
    assert (body["code"], body["data"]["taskId"], body["data"]["fallbackFlag"]) == (200, task_id, False)
    assert body["data"]["info"]["resultUrls"] == polled["response"]["resultUrls"]
    assert hmac.compare_digest(
        headers["X-Webhook-Signature"].encode(),
        expected_signature("webhook-hmac-secret", task_id, headers["X-Webhook-Timestamp"]),
    )


def test_it_posts_a_failed_veo_callback_with_the_error_as_its_code(kie, client, receiver):
    kie.program(outcome="fail", fail_flag=3, fail_code="501", fail_msg="Generation failed")
    task_id = veo_task(client, callBackUrl=receiver.url)

    kie.finish(task_id)
    [(headers, body)] = receiver.wait_for(1)

    body = json.loads(body)
    assert (body["code"], body["msg"], body["data"]["taskId"], body["data"]["info"]) == (
        501,
        "Generation failed",
        task_id,
        None,
    )
    assert "X-Webhook-Signature" not in headers


def test_it_sends_callbacks_to_the_origin_it_was_told_keeping_the_path(kie, client, receiver):
    kie.callback_origin = receiver.url.removesuffix("/kie/callback/")
    task_id = veo_task(client, callBackUrl="https://bot.example.com/kie/callback/?t=1")

    kie.finish(task_id)
    [delivery] = kie.wait_for_callbacks(1)

    assert delivery.status == 200 and delivery.url == receiver.url + "?t=1"
    assert json.loads(receiver.wait_for(1)[0][1])["data"]["taskId"] == task_id
