"""A result sent to the chat again from the Mini App (once per Idempotency-Key), and "make another" started there."""

import pytest

from botapp.models import FlowState
from generations.models import Generation, GenerationEvent
from tests.factories import make_user
from tests.tma import completed, header

pytestmark = pytest.mark.django_db

API = "/miniapp/api"


def send(client, user, generation, key, **options):
    return client.post(f"{API}/generations/{generation.pk}/send", HTTP_IDEMPOTENCY_KEY=key, **header(user, **options))


def test_it_sends_the_result_to_the_chat_once_per_key(client, workers):
    seller = make_user(telegram_id=8880001)
    generation = completed(seller, description="Термокружка 350 мл")

    first = send(client, seller, generation, "tap-1")
    again = send(client, seller, generation, "tap-1")

    assert (first.status_code, first.json()) == (200, {"ok": True})
    assert (again.status_code, again.json()) == (200, {"ok": True})
    photos = workers.telegram.requests("sendPhoto", chat_id=8880001)
    assert len(photos) == 1
    assert "Термокружка 350 мл" in photos[0].params["caption"]
    assert "gen:again" in str(photos[0].params["reply_markup"])
    assert GenerationEvent.objects.filter(generation=generation, kind="resent").count() == 1

    send(client, seller, generation, "tap-2")

    assert len(workers.telegram.requests("sendPhoto", chat_id=8880001)) == 2


def test_it_sends_a_video_as_a_video(client, workers):
    seller = make_user(telegram_id=8880002)
    generation = completed(seller, kind="video")

    assert send(client, seller, generation, "k").status_code == 200

    assert len(workers.telegram.requests("sendVideo", chat_id=8880002)) == 1


def test_it_refuses_without_an_idempotency_key(client, workers):
    seller = make_user(telegram_id=8880003)
    generation = completed(seller)

    answer = client.post(f"{API}/generations/{generation.pk}/send", **header(seller))

    assert (answer.status_code, answer.json()) == (400, {"error": "bad_request"})
    assert workers.telegram.sent(chat_id=8880003) == []


def test_it_says_409_when_the_file_is_gone_or_not_made_yet(client, workers):
    seller = make_user(telegram_id=8880004)
    gone = completed(seller)
    gone.result_file.storage.delete(gone.result_file.name)
    unfinished = completed(seller)
    Generation.objects.filter(pk=unfinished.pk).update(status="processing")

    answer = send(client, seller, gone, "k", language_code="en")

    assert answer.status_code == 409
    assert answer.json()["error"] == "result_gone" and "no longer stored" in answer.json()["message"]
    assert send(client, seller, unfinished, "k").json()["error"] == "not_completed"
    assert workers.telegram.sent(chat_id=8880004) == []


def test_it_says_409_when_telegram_does_not_take_it(client, workers):
    seller = make_user(telegram_id=8880005)
    generation = completed(seller)
    workers.telegram.fail_next("sendPhoto", status=400, description="Bad Request: wrong file")

    answer = send(client, seller, generation, "k")

    assert (answer.status_code, answer.json()["error"]) == (409, "not_sent")


def test_it_starts_make_another_in_the_chat_as_the_after_result_button(client, workers):
    seller = make_user(telegram_id=8880006, language_code="en")
    generation = completed(seller, kind="video", description="A ceramic mug", reference_file_id="AgACphoto")

    answer = client.post(f"{API}/generations/{generation.pk}/again", **header(seller, language_code="en"))

    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    flow = FlowState.objects.get(user=seller)
    assert flow.step == "template"
    assert flow.draft == {"kind": "video", "photo": "AgACphoto", "description": "A ceramic mug", "model": "sora2"}
    (message,) = workers.telegram.requests("sendMessage", chat_id=8880006)
    assert "Choose a template for the video" in message.params["text"]
    assert "flow:tpl:ugc" in str(message.params["reply_markup"])


def test_it_asks_for_a_photo_again_when_the_product_had_none_kept(client, workers):
    seller = make_user(telegram_id=8880007)
    FlowState.objects.create(user=seller, step="description", draft={"kind": "image"})
    generation = completed(seller, kind="image")

    client.post(f"{API}/generations/{generation.pk}/again", **header(seller))

    flow = FlowState.objects.get(user=seller)
    assert (flow.step, flow.draft) == ("photo", {"kind": "image"})
    assert len(workers.telegram.requests("sendMessage", chat_id=8880007)) == 1
