"""Deeply nested JSON from an authenticated sender is a 400 on every webhook, never a RecursionError 500."""

import pytest
from django.test import Client

from billing.models import WebhookEvent
from botapp.models import ProcessedUpdate
from generations.models import Generation
from neurocards.lib.jsonbody import MAX_DEPTH, parse_json
from tests.factories import make_generations, make_user

YOOKASSA_IP = "185.71.76.5"
DEPTH = 100_000  # far past the recursion limit json.loads runs into


def nested(depth, opener=b"[", closer=b"]"):
    return opener * depth + closer * depth


def test_it_answers_400_to_deeply_nested_json_on_the_telegram_webhook(chat):
    body = b'{"update_id": 700000001, "message": ' + nested(DEPTH) + b"}"

    response = chat.post(body)

    assert response.status_code == 400
    assert not ProcessedUpdate.objects.exists() and chat.sent() == []


@pytest.mark.django_db
def test_it_answers_400_to_deeply_nested_json_from_yookassa_and_closes_the_inbox_row(shop):
    body = b'{"event": "payment.succeeded", "object": {"id": "x", "metadata": ' + nested(DEPTH, b'{"a":', b"}") + b"}}"

    response = Client().post(
        "/billing/yookassa/webhook/", body, content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert (event.status, event.processed_at is not None) == ("failed", True)


@pytest.mark.django_db
def test_it_answers_400_to_deeply_nested_json_on_the_kie_callback(client):
    (generation,) = make_generations(make_user())
    body = b'{"code": 200, "data": {"taskId": "t1", "info": ' + nested(DEPTH) + b"}}"

    response = client.post(
        f"/generations/kie/callback/{generation.callback_token}/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert Generation.objects.get().status == "queued"


@pytest.mark.parametrize(
    "body",
    [
        nested(MAX_DEPTH + 1),
        nested(MAX_DEPTH + 1, b"{", b"}"),
        b"[" * 40 + b"]" * 39,  # unpaired
        b'"' + b"x" * (1024 * 1024) + b'"',  # too large
    ],
)
def test_it_refuses_bodies_past_the_bounds(body):
    with pytest.raises(ValueError):
        parse_json(body)


@pytest.mark.parametrize(
    "body, value",
    [
        (nested(MAX_DEPTH), None),
        (b'{"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"]]]"}', {"text": "[" * 50 + '"]]]'}),
        (b'[[], {"a": [{}]}, [[1]]]', [[], {"a": [{}]}, [[1]]]),
    ],
)
def test_it_parses_what_nests_within_the_bound_whatever_its_strings_hold(body, value):
    parsed = parse_json(body)

    assert value is None or parsed == value
