"""The KIE fake's rate limits, callbacks, uploads, results and housekeeping, driven over HTTP with plain
httpx (the task API is in test_fake_kie.py)."""

import base64
import hmac
import io
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fakes.kie import FakeKie
from tests.test_fake_kie import (  # noqa: F401  (fixtures, named by the tests' parameters)
    JPEG,
    KEY,
    KEY_2,
    PHOTO,
    REPO,
    TELEGRAM_LINK,
    client,
    create,
    create_task,
    expected_signature,
    kie,
    nano,
    receiver,
    record,
    sora,
)

# -- rate limits ---------------------------------------------------------------------------------------


def test_it_answers_the_eleventh_record_read_in_a_second_with_429_per_key(client, kie):
    task_id = create_task(client)

    first_ten = [record(client, task_id).status_code for _ in range(10)]
    eleventh = record(client, task_id)
    other_key = [record(client, task_id, key=KEY_2).status_code for _ in range(10)]

    assert first_ten == [200] * 10 and other_key == [200] * 10
    assert eleventh.status_code == 429 and eleventh.json()["code"] == 429
    assert kie.too_many == 1


def test_it_lets_record_reads_through_again_once_the_window_slides():
    with FakeKie(keys=(KEY,), record_rate_per_key=2) as kie:
        with httpx.Client(base_url=kie.base_url, headers={"Authorization": f"Bearer {KEY}"}) as own:
            task_id = create_task(own)
            codes = [record(own, task_id).status_code for _ in range(3)]
            time.sleep(1.05)
            later = record(own, task_id).status_code

    assert codes == [200, 200, 429] and later == 200


def test_it_limits_task_creation_per_account_across_keys(client, kie):
    other = {"Authorization": f"Bearer {KEY_2}"}

    answers = [client.post("/api/v1/jobs/createTask", json=sora(), headers=other if i % 2 else None) for i in range(21)]

    assert [answer.json()["code"] for answer in answers] == [200] * 20 + [429]
    assert answers[-1].status_code == 429 and kie.too_many == 1 and len(kie.tasks) == 20


def test_it_creates_again_once_the_creation_window_slides():
    with FakeKie(keys=(KEY,), create_limit=(2, 0.3)) as kie:
        with httpx.Client(base_url=kie.base_url, headers={"Authorization": f"Bearer {KEY}"}) as own:
            kie.program(create_code=455)
            codes = [create(own).json()["code"] for _ in range(4)]
            time.sleep(0.35)
            later = create(own).json()["code"]

    # A refused creation (455) makes no task, so it does not count against the limit.
    assert codes == [455, 200, 200, 429] and later == 200


# -- callbacks --------------------------------------------------------------------------------------------


def test_it_posts_a_signed_callback_when_a_task_finishes(client, kie, receiver):
    kie.hmac_key = "webhook-hmac-secret"
    task_id = create_task(client, callBackUrl=receiver.url)

    polled = record(client, task_id).json()
    [(headers, body)] = receiver.wait_for(1)

    assert json.loads(body) == polled
    timestamp = headers["X-Webhook-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 30
    assert hmac.compare_digest(
        headers["X-Webhook-Signature"].encode(), expected_signature("webhook-hmac-secret", task_id, timestamp)
    )
    assert kie.wait_for_callbacks(1)[0].status == 200


def test_it_posts_an_unsigned_callback_without_an_hmac_key(client, kie, receiver):
    kie.program(outcome="fail", fail_code="501", fail_msg="generation failed")
    task_id = create_task(client, callBackUrl=receiver.url)

    kie.finish(task_id)
    [(headers, body)] = receiver.wait_for(1)

    assert "X-Webhook-Signature" not in headers and "X-Webhook-Timestamp" not in headers
    assert json.loads(body)["data"]["state"] == "fail" and json.loads(body)["data"]["failCode"] == "501"


def test_it_sends_an_early_callback_before_record_info_is_final(client, kie, receiver):
    kie.hmac_key = "webhook-hmac-secret"
    kie.program(after_polls=2, callback_early=True)
    task_id = create_task(client, callBackUrl=receiver.url)

    [(headers, early)] = receiver.wait_for(1)
    reread = record(client, task_id).json()["data"]
    final = record(client, task_id).json()["data"]
    received = receiver.wait_for(2)

    assert json.loads(early)["data"]["taskId"] == task_id
    assert hmac.compare_digest(
        headers["X-Webhook-Signature"].encode(),
        expected_signature("webhook-hmac-secret", task_id, headers["X-Webhook-Timestamp"]),
    )
    assert reread["state"] == "waiting" and final["state"] == "success"
    assert len(received) == 2 and json.loads(received[1][1])["data"] == final


def test_it_records_callbacks_it_could_not_deliver_and_carries_on(client, kie):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}/kie/callback/"
    task_id = create_task(client, callBackUrl=dead_url)

    assert record(client, task_id).json()["data"]["state"] == "success"
    [delivery] = kie.wait_for_callbacks(1)

    assert delivery.status is None and isinstance(delivery.error, OSError) and delivery.url == dead_url


def test_it_records_the_status_our_app_answered_a_callback_with(client, kie, receiver):
    receiver.status = 500
    task_id = create_task(client, callBackUrl=receiver.url)

    kie.finish(task_id)

    assert kie.wait_for_callbacks(1)[0].status == 500


def test_it_sends_a_forged_callback_on_request(client, kie, receiver):
    kie.hmac_key = "webhook-hmac-secret"
    kie.program(outcome="hang")
    task_id = create_task(client, callBackUrl=receiver.url)
    receiver.status = 403

    status = kie.send_callback(task_id, signature="Zm9yZ2Vk", timestamp="1700000000")
    [(headers, body)] = receiver.wait_for(1)

    assert status == 403
    assert (headers["X-Webhook-Signature"], headers["X-Webhook-Timestamp"]) == ("Zm9yZ2Vk", "1700000000")
    assert json.loads(body)["data"]["state"] == "waiting"


def test_it_sends_a_signed_callback_for_an_unknown_task_or_a_custom_body(kie, receiver):
    kie.hmac_key = "webhook-hmac-secret"

    first = kie.send_callback("task_never_made", url=receiver.url)
    second = kie.send_callback("task_never_made", url=receiver.url, body=b"not json")
    [(headers, body), (_, raw)] = receiver.wait_for(2)

    assert (first, second) == (200, 200) and raw == b"not json"
    assert json.loads(body)["data"]["taskId"] == "task_never_made"
    assert hmac.compare_digest(
        headers["X-Webhook-Signature"].encode(),
        expected_signature("webhook-hmac-secret", "task_never_made", headers["X-Webhook-Timestamp"]),
    )


# -- uploads ----------------------------------------------------------------------------------------------


def test_it_round_trips_a_stream_upload(client, kie):
    answer = client.post(
        "/api/file-stream-upload",
        files={"file": ("photo.jpg", JPEG, "image/jpeg")},
        data={"uploadPath": "neurocards/photos", "fileName": "order-1.jpg"},
    )

    body = answer.json()
    assert (body["success"], body["code"], body["msg"]) == (True, 200, "File uploaded successfully")
    data = body["data"]
    assert data["downloadUrl"] == f"{kie.base_url}/files/neurocards/photos/order-1.jpg"
    assert (data["fileName"], data["filePath"], data["fileSize"], data["mimeType"]) == (
        "order-1.jpg",
        "neurocards/photos/order-1.jpg",
        len(JPEG),
        "image/jpeg",
    )
    assert data["uploadedAt"].endswith("Z")
    download = httpx.get(data["downloadUrl"])
    assert download.content == JPEG and download.headers["content-type"] == "image/jpeg"
    assert kie.uploads[0].content == JPEG and kie.uploads[0].via == "stream"


@pytest.mark.parametrize(
    "encoded", [f"data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}", base64.b64encode(JPEG).decode()]
)
def test_it_round_trips_a_base64_upload(client, kie, encoded):
    answer = client.post(
        "/api/file-base64-upload",
        json={"base64Data": encoded, "uploadPath": "/neurocards/photos/", "fileName": "p.jpg"},
    )

    data = answer.json()["data"]
    assert data["filePath"] == "neurocards/photos/p.jpg" and data["mimeType"] == "image/jpeg"
    assert httpx.get(data["downloadUrl"]).content == JPEG
    assert kie.uploads[0].content == JPEG


def test_it_records_a_url_upload_without_fetching_it(client, kie):
    answer = client.post(
        "/api/file-url-upload", json={"fileUrl": PHOTO, "uploadPath": "neurocards/photos", "fileName": "from-url.jpg"}
    )

    data = answer.json()["data"]
    assert answer.json()["success"] is True and data["fileName"] == "from-url.jpg"
    assert kie.uploads[0].file_url == PHOTO and kie.uploads[0].content is None
    assert httpx.get(data["downloadUrl"]).status_code == 404


@pytest.mark.parametrize(
    ("path", "payload", "code"),
    [
        ("/api/file-base64-upload", {"base64Data": "!!!not base64", "uploadPath": "p", "fileName": "a.jpg"}, 400),
        ("/api/file-base64-upload", {"base64Data": base64.b64encode(JPEG).decode(), "fileName": "a.jpg"}, 400),
        ("/api/file-url-upload", {"fileUrl": "ftp://x/y.jpg", "uploadPath": "p"}, 400),
        (
            "/api/file-base64-upload",
            {"base64Data": base64.b64encode(b"\0" * (10 * 1024 * 1024 + 1)).decode(), "uploadPath": "p"},
            413,
        ),
    ],
)
def test_it_rejects_bad_uploads(client, kie, path, payload, code):
    body = client.post(path, json=payload).json()

    assert (body["success"], body["code"]) == (False, code) and body["msg"]
    assert kie.uploads == []


def test_it_rejects_a_stream_upload_over_10_mb(client, kie):
    too_big = b"\0" * (10 * 1024 * 1024 + 1)

    body = client.post(
        "/api/file-stream-upload", files={"file": ("big.jpg", too_big, "image/jpeg")}, data={"uploadPath": "p"}
    ).json()

    assert (body["success"], body["code"]) == (False, 413) and "too large" in body["msg"]
    assert kie.uploads == []


def test_it_refuses_uploads_with_a_bad_key(kie):
    body = httpx.post(
        f"{kie.base_url}/api/file-url-upload",
        json={"fileUrl": PHOTO, "uploadPath": "p"},
        headers={"Authorization": "Bearer nope"},
    ).json()

    assert (body["success"], body["code"]) == (False, 401)


def test_it_finds_text_in_any_request_url_or_body(client, kie):
    assert not kie.saw_text("/file/bot")

    client.get("/api/v1/chat/credit")
    assert not kie.saw_text("/file/bot")

    client.get("/api/v1/jobs/recordInfo", params={"taskId": TELEGRAM_LINK})
    assert kie.saw_text("/file/bot")
    kie.reset()
    client.post("/api/file-url-upload", json={"fileUrl": TELEGRAM_LINK, "uploadPath": "p"})
    assert kie.saw_text("/file/bot") and kie.saw_text("SECRET")
    kie.reset()
    create(client, sora(image_urls=[TELEGRAM_LINK]))
    assert kie.saw_text("/file/bot")


# -- results ------------------------------------------------------------------------------------------------


def test_it_serves_an_image_result_for_nano_banana(client, kie):
    task_id = create_task(client, nano())

    [url] = json.loads(record(client, task_id).json()["data"]["resultJson"])["resultUrls"]
    image = httpx.get(url)

    assert url == f"{kie.base_url}/results/{task_id}.png"
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG\r\n\x1a\n")
    try:
        from PIL import Image
    except ImportError:
        return
    assert Image.open(io.BytesIO(image.content)).size == (864, 1184)


def test_it_serves_replaced_result_content(client, kie):
    kie.result_content["video"] = b"\x00\x00\x00\x20ftypmp42 a real video would go here"
    task_id = create_task(client)

    [url] = json.loads(record(client, task_id).json()["data"]["resultJson"])["resultUrls"]

    assert httpx.get(url).content == kie.result_content["video"]


def test_it_serves_no_result_before_success_or_for_unknown_tasks(client, kie):
    kie.program(after_polls=2)
    task_id = create_task(client)

    assert httpx.get(f"{kie.base_url}/results/{task_id}.mp4").status_code == 404
    assert httpx.get(f"{kie.base_url}/results/task_unknown.mp4").status_code == 404


def test_it_answers_an_unknown_task_with_404_and_a_missing_id_with_400(client):
    assert record(client, "task_unknown").json() == {"code": 404, "msg": "recordInfo is null", "data": None}
    assert client.get("/api/v1/jobs/recordInfo").json()["code"] == 400


# -- housekeeping, speed, standalone -------------------------------------------------------------------------


def test_it_forgets_history_and_settings_on_reset_but_keeps_keys(client, kie):
    kie.program(outcome="fail", times=5)
    kie.set_key(KEY_2, code=402)
    kie.set_key("kie-added-key")
    kie.hmac_key, kie.credits, kie.result_content["video"] = "secret", 1.0, b"changed"
    create_task(client)
    client.post("/api/file-url-upload", json={"fileUrl": PHOTO, "uploadPath": "p"})

    kie.reset()

    assert (kie.calls, kie.tasks, kie.uploads, kie.callbacks, kie.too_many) == ([], {}, [], [], 0)
    assert (kie.hmac_key, kie.credits, kie.result_content["video"][4:8]) == (None, 1000.0, b"ftyp")
    assert kie.keys == [KEY, KEY_2, "kie-added-key"]
    task_id = create_task(client)
    assert record(client, task_id).json()["data"]["state"] == "success"
    assert record(client, task_id, key=KEY_2).json()["code"] == 200


def test_it_delays_every_answer_by_the_latency():
    with FakeKie(latency=0.2) as kie:
        started = time.monotonic()
        httpx.get(f"{kie.base_url}/api/v1/chat/credit", headers={"Authorization": f"Bearer {KEY}"})

        assert time.monotonic() - started >= 0.2


def test_it_answers_many_requests_at_once_with_latency():
    limits = httpx.Limits(max_connections=40, max_keepalive_connections=40)
    with (
        FakeKie(latency=0.05) as kie,
        ThreadPoolExecutor(max_workers=40) as pool,
        httpx.Client(base_url=kie.base_url, headers={"Authorization": f"Bearer {KEY}"}, limits=limits) as shared,
    ):

        def ten_reads(_):
            return [shared.get("/api/v1/chat/credit").status_code for _ in range(10)]

        started = time.monotonic()
        statuses = [status for batch in pool.map(ten_reads, range(40)) for status in batch]
        elapsed = time.monotonic() - started

    # 400 answers at 50 ms each would take 20 s one at a time; httpx in this process is the slower side.
    assert statuses == [200] * 400 and elapsed < 8, elapsed


def test_it_runs_standalone_on_a_given_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tests.fakes.kie", "--port", str(port), "--key", "k1"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            answer = httpx.get(f"{base_url}/api/v1/chat/credit", headers={"Authorization": "Bearer k1"})
        finally:
            process.terminate()

    assert base_url == f"http://127.0.0.1:{port}" and answer.json()["data"] == 1000.0
    assert process.returncode == 0
