"""The OpenAI fake, driven over HTTP with plain httpx, as our prompt writer will drive it."""

import base64
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai import FakeOpenAI

API_KEY = "sk-test-openai"
JPEG = b"\xff\xd8\xff\xe0" + b"product photo" * 20
PHOTO_URL = f"data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def openai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def client(openai):
    with httpx.Client(base_url=openai.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10) as c:
        yield c


def chat(user="A ceramic mug for coffee lovers", *, system="You write UGC video prompts.", **extra):
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        **extra,
    }


def complete(client, body=None):
    return client.post("/chat/completions", json=body or chat())


def error_of(answer):
    return answer.json()["error"]


# -- happy path ---------------------------------------------------------------------------------------


def test_it_answers_a_chat_completion_built_from_the_last_user_message(openai, client):
    answer = complete(client, chat("Термокружка 450 мл, держит тепло 8 часов", max_completion_tokens=800))

    assert answer.status_code == 200 and answer.headers["x-request-id"].startswith("req_")
    body = answer.json()
    assert body["id"].startswith("chatcmpl-") and body["object"] == "chat.completion"
    assert body["model"] == "gpt-4o-mini" and abs(body["created"] - time.time()) < 60
    [choice] = body["choices"]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == "UGC video prompt: Термокружка 450 мл, держит тепло 8 часов"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_it_uses_the_first_200_characters_of_the_last_user_message(client):
    body = chat("first")
    body["messages"] += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "x" * 300}]

    content = complete(client, body).json()["choices"][0]["message"]["content"]

    assert content == "UGC video prompt: " + "x" * 200


def test_it_answers_with_the_text_given_to_reply_with_until_reset(openai, client):
    openai.reply_with("A hand lifts the mug into warm morning light.")

    first, second = complete(client), complete(client)
    openai.reset()
    after_reset = complete(client)

    assert first.json()["choices"][0]["message"]["content"] == "A hand lifts the mug into warm morning light."
    assert second.json()["choices"][0]["message"]["content"] == "A hand lifts the mug into warm morning light."
    assert after_reset.json()["choices"][0]["message"]["content"].startswith("UGC video prompt: ")


def test_it_cuts_a_reply_longer_than_max_completion_tokens(openai, client):
    openai.reply_with("word " * 100)

    choice = complete(client, chat(max_completion_tokens=10)).json()["choices"][0]

    assert choice["finish_reason"] == "length" and len(choice["message"]["content"]) == 40


def test_it_records_calls_with_params_key_and_status(openai, client):
    complete(client)

    [call] = openai.requests("/chat/completions")
    assert (call.method, call.path, call.key, call.status) == ("POST", "/v1/chat/completions", API_KEY, 200)
    assert call.params["messages"][1]["content"] == "A ceramic mug for coffee lovers"


# -- image parts --------------------------------------------------------------------------------------------


def test_it_accepts_an_image_part_and_hands_back_its_bytes(openai, client):
    parts = [
        {"type": "text", "text": "Write a prompt for this product"},
        {"type": "image_url", "image_url": {"url": PHOTO_URL, "detail": "low"}},
    ]

    answer = complete(client, chat(parts))

    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "UGC video prompt: Write a prompt for this product"
    assert openai.sent_images() == [JPEG]
    assert answer.json()["usage"]["prompt_tokens"] >= 85


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,!!!not-base64"}},
        {"type": "image_url", "image_url": {"url": "data:text/plain;base64,aGVsbG8="}},
        {"type": "image_url", "image_url": {"url": "ftp://example.com/a.jpg"}},
        {"type": "image_url", "image_url": {"url": PHOTO_URL, "detail": "ultra"}},
        {"type": "image_url"},
        {"type": "audio", "audio": {}},
    ],
)
def test_it_rejects_a_broken_content_part_with_400(openai, client, part):
    answer = complete(client, chat([part]))

    assert answer.status_code == 400 and error_of(answer)["type"] == "invalid_request_error"
    assert openai.sent_images() == []


# -- request validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "gpt-4o-mini", "messages": []}, "messages"),
        ({"model": "gpt-4o-mini"}, "messages"),
        ({"model": "gpt-4o-mini", "messages": [{"content": "hi"}]}, "messages[0].role"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": 42}]}, "messages[0].content"),
        ({**chat(), "max_completion_tokens": 0}, "max_completion_tokens"),
        ({**chat(), "n": "2"}, "n"),
        ({**chat(), "stream": True}, "stream"),
    ],
)
def test_it_rejects_an_invalid_request_with_400(client, body, param):
    answer = complete(client, body)

    assert answer.status_code == 400
    assert error_of(answer)["type"] == "invalid_request_error" and error_of(answer)["param"] == param


def test_it_rejects_a_body_that_is_not_json(client):
    answer = client.post("/chat/completions", content=b"{nope", headers={"Content-Type": "application/json"})

    assert answer.status_code == 400 and error_of(answer)["type"] == "invalid_request_error"


def test_it_answers_an_unknown_path_with_404(client):
    answer = client.post("/embeddings", json={"model": "x", "input": "y"})

    assert answer.status_code == 404 and "Invalid URL" in error_of(answer)["message"]


# -- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Authorization": "Bearer sk-wrong"}, "invalid_api_key"),
        ({"Authorization": f"Basic {API_KEY}"}, None),
        ({}, None),
    ],
)
def test_it_refuses_a_wrong_or_missing_key_with_401(openai, headers, code):
    answer = httpx.post(f"{openai.base_url}/chat/completions", json=chat(), headers=headers)

    assert answer.status_code == 401
    assert (error_of(answer)["type"], error_of(answer)["code"]) == ("invalid_request_error", code)


def test_it_answers_a_wrong_key_in_the_documented_shape(openai):
    answer = httpx.post(f"{openai.base_url}/chat/completions", json=chat(), headers={"Authorization": "Bearer sk-no"})

    assert answer.json() == {
        "error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }


def test_it_answers_a_wrong_key_with_401_even_for_a_bad_body(openai):
    answer = httpx.post(
        f"{openai.base_url}/chat/completions",
        content=b"{nope",
        headers={"Authorization": "Bearer sk-wrong", "Content-Type": "application/json"},
    )

    assert answer.status_code == 401


def test_it_answers_a_rate_limit_with_retry_after_headers_then_recovers(openai, client):
    openai.fail_next(status=429, type="requests", code="rate_limit_exceeded", retry_after=1.5)

    limited, recovered = complete(client), complete(client)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1.5" and limited.headers["retry-after-ms"] == "1500"
    assert error_of(limited)["code"] == "rate_limit_exceeded" and error_of(limited)["message"]
    assert recovered.status_code == 200


@pytest.mark.parametrize(
    ("status", "type", "code"),
    [
        (429, "insufficient_quota", "insufficient_quota"),
        (429, "insufficient_quota", "credit_balance_exhausted"),
        (500, "server_error", None),
        (503, "server_error", None),
        (401, "invalid_request_error", "invalid_api_key"),
        (403, "request_forbidden", "unsupported_country_region_territory"),
    ],
)
def test_it_answers_a_programmed_error_in_openai_shape(openai, client, status, type, code):
    openai.fail_next(status=status, type=type, code=code)

    answer = complete(client)

    assert answer.status_code == status and "retry-after" not in answer.headers
    error = error_of(answer)
    assert (error["type"], error["code"]) == (type, code) and error["message"]
    assert openai.requests()[0].status == status


def test_it_repeats_a_programmed_error_times_times_in_order(openai, client):
    openai.fail_next(status=503, type="server_error", message="overloaded", times=2)
    openai.fail_next(status=429, type="insufficient_quota", code="insufficient_quota")

    statuses = [complete(client).status_code for _ in range(4)]

    assert statuses == [503, 503, 429, 200]
    assert openai.requests()[0].status == 503


def test_it_forgets_planned_failures_and_calls_on_reset(openai, client):
    openai.fail_next(status=500, type="server_error", times=3)
    complete(client)

    openai.reset()

    assert openai.calls == [] and complete(client).status_code == 200


# -- helpers, speed, standalone ----------------------------------------------------------------------------


def test_it_finds_text_in_any_request(openai, client):
    link = "https://api.telegram.org/file/bot123:SECRET/photos/file_1.jpg"
    complete(client)
    assert not openai.saw_text("/file/bot")

    complete(client, chat([{"type": "image_url", "image_url": {"url": link}}]))

    assert openai.saw_text("/file/bot") and openai.sent_images() == [link]


def test_it_delays_every_answer_by_the_latency():
    with FakeOpenAI(latency=0.2) as openai:
        started = time.monotonic()
        httpx.post(f"{openai.base_url}/chat/completions", json=chat(), headers={"Authorization": f"Bearer {API_KEY}"})

        assert time.monotonic() - started >= 0.2


def test_it_runs_standalone_on_a_given_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tests.fakes.openai", "--port", str(port), "--api-key", "sk-x"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            answer = httpx.post(f"{base_url}/chat/completions", json=chat(), headers={"Authorization": "Bearer sk-x"})
        finally:
            process.terminate()

    assert base_url == f"http://127.0.0.1:{port}/v1" and answer.status_code == 200
    assert process.returncode == 0
