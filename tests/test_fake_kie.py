"""The KIE fake, driven over HTTP with plain httpx, as our KIE client will drive it."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.fakes.kie import FakeKie

KEY = "kie-test-key-1"
KEY_2 = "kie-test-key-2"
PHOTO = "https://files.example.com/neurocards/photo.jpg"
TELEGRAM_LINK = "https://api.telegram.org/file/bot123456:SECRET/photos/file_1.jpg"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
REPO = Path(__file__).resolve().parent.parent


class CallbackReceiver:
    """A tiny stdlib HTTP server standing in for our app's KIE callback endpoint."""

    def __init__(self, status=200):
        self.status = status
        self.received = []  # (headers as a dict, body bytes)
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._arrived:
                    receiver.received.append((dict(self.headers), body))
                    receiver._arrived.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/kie/callback/"

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count, timeout=5.0):
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@pytest.fixture
def kie():
    with FakeKie(keys=(KEY, KEY_2)) as fake:
        yield fake


@pytest.fixture
def client(kie):
    with httpx.Client(base_url=kie.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as running:
        yield running


@pytest.fixture
def receiver():
    with CallbackReceiver() as running:
        yield running


def sora(**input_changes):
    input_ = {
        "prompt": "A seller shows the mug",
        "image_urls": [PHOTO],
        "aspect_ratio": "portrait",
        "n_frames": "10",
        "remove_watermark": True,
    }
    input_.update(input_changes)
    return {"model": "sora-2-image-to-video", "input": {k: v for k, v in input_.items() if v is not None}}


def nano(**input_changes):
    input_ = {
        "prompt": "Product card, white background",
        "image_urls": [PHOTO],
        "output_format": "png",
        "image_size": "3:4",
    }
    input_.update(input_changes)
    return {"model": "google/nano-banana-edit", "input": input_}


def create(client, body=None, **extra):
    return client.post("/api/v1/jobs/createTask", json={**(body or sora()), **extra})


def create_task(client, body=None, **extra):
    answer = create(client, body, **extra).json()
    assert answer["code"] == 200, answer
    return answer["data"]["taskId"]


def record(client, task_id, key=None):
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=headers)


def expected_signature(secret, task_id, timestamp):
    # As kie.md describes it: base64(HMAC-SHA256 over taskId + "." + timestamp with the webhook key).
    return base64.b64encode(hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest())


# -- happy path ---------------------------------------------------------------------------------------


def test_it_creates_a_sora_task_and_reports_success_after_one_poll(kie, client):
    answer = create(client)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["code"], body["msg"]) == (200, "success")
    task_id = body["data"]["taskId"]
    assert task_id.startswith("task_")

    data = record(client, task_id).json()["data"]
    assert data["state"] == "success"
    assert json.loads(data["param"]) == sora()
    assert json.loads(data["resultJson"]) == {"resultUrls": [f"{kie.base_url}/results/{task_id}.mp4"]}
    assert (data["failCode"], data["failMsg"], data["progress"]) == ("", "", 100)
    assert data["completeTime"] >= data["createTime"] and data["costTime"] == data["completeTime"] - data["createTime"]
    video = httpx.get(json.loads(data["resultJson"])["resultUrls"][0])
    assert video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"


def test_it_records_every_call_with_key_status_and_body_code(kie, client):
    task_id = create_task(client)
    record(client, task_id)

    created, read = kie.requests("createTask")[0], kie.requests("recordInfo")[0]
    assert (created.method, created.key, created.status, created.code) == ("POST", KEY, 200, 200)
    assert created.params["input"]["n_frames"] == "10"
    assert read.params == {"taskId": task_id} and read.at >= created.at
    assert kie.tasks[task_id].model == "sora-2-image-to-video" and kie.tasks[task_id].polls == 1


def test_it_walks_waiting_generating_then_success_when_programmed(kie, client):
    kie.program(after_polls=3)
    task_id = create_task(client)

    states = [record(client, task_id).json()["data"] for _ in range(3)]

    assert [data["state"] for data in states] == ["waiting", "generating", "success"]
    assert [data["completeTime"] for data in states[:2]] == [None, None]
    assert [data["resultJson"] for data in states[:2]] == ["", ""]
    assert kie.tasks[task_id].result_urls == [f"{kie.base_url}/results/{task_id}.mp4"]


def test_it_reports_credits(kie, client):
    kie.credits = 12.5

    assert client.get("/api/v1/chat/credit").json() == {"code": 200, "msg": "success", "data": 12.5}


# -- programmed outcomes ----------------------------------------------------------------------------


def test_it_fails_a_task_with_the_programmed_code_and_message(client, kie):
    kie.program(outcome="fail", fail_code="500", fail_msg="Your prompt was flagged by content policy")
    task_id = create_task(client)

    data = record(client, task_id).json()["data"]

    assert (data["state"], data["failCode"], data["failMsg"]) == (
        "fail",
        "500",
        "Your prompt was flagged by content policy",
    )
    assert data["resultJson"] == "" and data["completeTime"] is not None
    assert httpx.get(f"{kie.base_url}/results/{task_id}.mp4").status_code == 404


def test_it_hangs_a_task_forever(client, kie, receiver):
    kie.program(outcome="hang")
    task_id = create_task(client, callBackUrl=receiver.url)

    states = [record(client, task_id).json()["data"]["state"] for _ in range(5)]
    kie.finish(task_id)

    assert states == ["waiting"] + ["generating"] * 4
    assert record(client, task_id).json()["data"]["state"] == "generating"
    assert receiver.wait_for(1, timeout=0.3) == []


def test_it_finishes_a_task_after_seconds_without_being_polled(client, kie, receiver):
    kie.program(after_seconds=0.2)
    task_id = create_task(client, callBackUrl=receiver.url)

    assert kie.tasks[task_id].state == "waiting"
    [(_, body)] = receiver.wait_for(1)

    assert json.loads(body)["data"]["state"] == "success"
    assert kie.tasks[task_id].polls == 0


@pytest.mark.parametrize("code", [402, 422, 455, 500, 505])
def test_it_answers_a_programmed_create_code_without_making_a_task(client, kie, code):
    kie.program(create_code=code)

    answer = create(client)

    assert answer.status_code == 200
    assert answer.json()["code"] == code and answer.json()["msg"] and answer.json()["data"] is None
    assert kie.tasks == {}
    assert create(client).json()["code"] == 200  # the program was used up


def test_it_answers_a_create_error_with_an_http_status_too(client, kie):
    kie.program(create_code=500, create_http_status=503)
    kie.program(create_http_status=502)

    first, second = create(client), create(client)

    assert (first.status_code, first.json()["code"]) == (503, 500)
    assert (second.status_code, second.json()["code"]) == (502, 502)
    assert kie.requests("createTask")[0].status == 503


def test_it_uses_programs_in_order_for_times_tasks_each(client, kie):
    kie.program(outcome="fail", fail_msg="prohibited content", times=2)
    kie.program(after_polls=2)

    tasks = [create_task(client) for _ in range(4)]
    first_reads = [record(client, task_id).json()["data"]["state"] for task_id in tasks]

    assert first_reads == ["fail", "fail", "waiting", "success"]
    assert record(client, tasks[2]).json()["data"]["state"] == "success"


def test_it_answers_junk_on_the_first_poll_only(client, kie):
    kie.program(junk=True)
    task_id = create_task(client)

    junk = record(client, task_id)
    with pytest.raises(ValueError):
        junk.json()
    after = record(client, task_id)

    assert junk.status_code == 502 and junk.headers["content-type"].startswith("text/html")
    assert b"502 Bad Gateway" in junk.content
    assert after.json()["data"]["state"] == "success"
    assert kie.tasks[task_id].polls == 1  # the gateway answered the first read, not KIE


def test_it_makes_a_task_final_on_finish(client, kie):
    kie.program(after_polls=50)
    task_id = create_task(client)

    kie.finish(task_id)

    assert record(client, task_id).json()["data"]["state"] == "success"


def test_it_refuses_bad_program_arguments(kie):
    with pytest.raises(ValueError):
        kie.program(outcome="explode")
    with pytest.raises(ValueError):
        kie.program(times=0)


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (sora(prompt=None), "prompt"),
        (sora(prompt="x" * 10001), "10000"),
        (sora(image_urls=[PHOTO, PHOTO]), "exactly one"),
        (sora(image_urls=[]), "image_urls"),
        (sora(image_urls=["photo.jpg"]), "http"),
        (sora(n_frames=10), '"10" or "15"'),
        (sora(n_frames="12"), "n_frames"),
        (sora(aspect_ratio="square"), "aspect_ratio"),
        ({**sora(), "model": "sora-3-image-to-video"}, "not supported"),
        ({"model": "sora-2-image-to-video"}, "input"),
        ({**sora(), "callBackUrl": "not a url"}, "callBackUrl"),
        ({"model": "sora-2-text-to-video", "input": {"prompt": "x", "image_urls": [PHOTO]}}, "text-to-video"),
        ({**sora(), "model": "sora-2-pro-image-to-video", "input": {**sora()["input"], "size": "huge"}}, "size"),
        (nano(prompt="x" * 5001), "5000"),
        (nano(image_urls=[]), "1 to 10"),
        (nano(image_urls=[PHOTO] * 11), "1 to 10"),
        (nano(output_format="webp"), "output_format"),
        (nano(image_size="7:5"), "image_size"),
    ],
)
def test_it_rejects_invalid_task_input_with_422(client, kie, body, words):
    answer = create(client, body)

    assert answer.status_code == 200
    assert answer.json()["code"] == 422 and words in answer.json()["msg"]
    assert kie.tasks == {}


@pytest.mark.parametrize(
    "body",
    [
        sora(prompt="x" * 10000, n_frames="15", aspect_ratio="landscape"),
        sora(aspect_ratio=None, n_frames=None, remove_watermark=None),
        {"model": "sora-2-text-to-video", "input": {"prompt": "A mug on a table"}},
        {**sora(), "model": "sora-2-pro-image-to-video", "input": {**sora()["input"], "size": "high"}},
        nano(image_urls=[PHOTO] * 10, output_format="jpeg", image_size="auto", prompt="x" * 5000),
        {"model": "veo3_fast", "input": {"anything": 1}},
        {"model": "kling/v2-1-standard", "input": {}},
    ],
)
def test_it_accepts_valid_input_for_every_known_model(client, body):
    assert create(client, body).json()["code"] == 200


def test_it_answers_bad_json_with_400(client):
    answer = client.post("/api/v1/jobs/createTask", content=b"{nope", headers={"Content-Type": "application/json"})

    assert answer.json()["code"] == 400


# -- keys ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer wrong-key"}, {"Authorization": ""}])
def test_it_refuses_unknown_or_missing_keys_with_401(kie, headers):
    answer = httpx.post(f"{kie.base_url}/api/v1/jobs/createTask", json=sora(), headers=headers)

    assert answer.json() == {"code": 401, "msg": "You do not have access permissions", "data": None}
    assert kie.tasks == {} and kie.requests()[0].code == 401


def test_it_answers_the_code_set_for_a_key_on_every_call(client, kie):
    kie.set_key(KEY, code=402)

    assert create(client).json()["code"] == 402
    assert client.get("/api/v1/chat/credit").json()["code"] == 402
    assert (
        client.post("/api/v1/jobs/createTask", json=sora(), headers={"Authorization": f"Bearer {KEY_2}"}).json()["code"]
        == 200
    )
    kie.set_key(KEY, code=None)
    assert create(client).json()["code"] == 200


def test_it_accepts_a_key_added_with_set_key(kie):
    kie.set_key("kie-added-key")

    answer = httpx.get(f"{kie.base_url}/api/v1/chat/credit", headers={"Authorization": "Bearer kie-added-key"})

    assert answer.json()["code"] == 200 and "kie-added-key" in kie.keys
