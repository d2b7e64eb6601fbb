"""A card arrives as its photo; the order's originals follow as one album of documents, sent once."""

import pytest
from django.utils import timezone

from generations import watchdog
from generations.models import Generation, OrderDelivery
from messaging import sender
from tests.results_helpers import SELLER, finish, keyboards, order, run, submit_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)


def methods(workers):
    return [call.method for call in workers.telegram.sent(chat_id=SELLER)]


def stored(generation):
    with Generation.objects.get(pk=generation.pk).result_file.open("rb") as file:
        return file.read()


def test_it_sends_five_photos_one_album_of_originals_and_one_keyboard(workers):
    generations = order(workers, count=5)

    run(workers, generations)

    assert methods(workers) == ["sendPhoto"] * 5 + ["sendMediaGroup"]
    assert keyboards(workers) == ["sendPhoto"]
    assert workers.telegram.requests("sendPhoto")[-1].params.get("reply_markup")
    (album,) = workers.telegram.requests("sendMediaGroup", chat_id=SELLER)
    media = album.params["media"]
    assert [item["type"] for item in media] == ["document"] * 5
    assert [album.files[item["media"].removeprefix("attach://")] for item in media] == [
        (f"termokruzhka-350-ml-{number}.jpg", stored(generation)) for number, generation in enumerate(generations, 1)
    ]
    assert [item.get("caption") for item in media] == [None] * 4 + [
        "Файлы в исходном качестве, без сжатия Telegram: их можно загрузить на маркетплейс."
    ]


def test_it_sends_a_single_card_as_photo_and_document(workers):
    (generation,) = order(workers)

    run(workers, [generation])

    assert methods(workers) == ["sendPhoto", "sendDocument"]
    (document,) = workers.telegram.requests("sendDocument", chat_id=SELLER)
    assert document.files["document"] == ("termokruzhka-350-ml.jpg", stored(generation))
    assert document.params["caption"] == (
        "Файл в исходном качестве, без сжатия Telegram: его можно загрузить на маркетплейс."
    )
    assert keyboards(workers) == ["sendPhoto"]


def test_it_retries_the_album_later_without_sending_the_photos_again(workers):
    workers.telegram.fail_next("sendMediaGroup", status=502, description="Bad Gateway", times=sender.MAX_TRIES)
    generations = order(workers, count=3)

    run(workers, generations)
    closing = OrderDelivery.objects.get(pk=generations[0].order_id)
    assert closing.sent_at is None and closing.next_delivery_at > timezone.now()
    watchdog.run()  # not due yet
    OrderDelivery.objects.filter(pk=closing.pk).update(next_delivery_at=timezone.now())
    watchdog.run()
    watchdog.run()

    assert methods(workers) == ["sendPhoto"] * 3 + ["sendMediaGroup"]
    assert len(workers.telegram.requests("sendMediaGroup")) == sender.MAX_TRIES + 1
    closing.refresh_from_db()
    assert closing.sent_at is not None and closing.parts_sent == 1 and closing.delivery_attempts == 2


def test_it_sends_the_originals_of_the_cards_made_after_the_failure_that_ends_the_order(
    workers, django_capture_on_commit_callbacks
):
    first, second, third = order(workers, count=3)
    submit_all([first, second])
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="Your content was flagged by moderation")
    submit_all([third])

    for generation in (first, second, third):
        with django_capture_on_commit_callbacks(execute=True):
            finish(generation)

    assert methods(workers) == ["sendPhoto", "sendPhoto", "sendMessage", "sendMediaGroup"]
    assert keyboards(workers) == ["sendMessage"]
    (album,) = workers.telegram.requests("sendMediaGroup", chat_id=SELLER)
    assert [album.files[item["media"][len("attach://") :]][0] for item in album.params["media"]] == [
        "termokruzhka-350-ml-1.jpg",
        "termokruzhka-350-ml-2.jpg",
    ]


def test_it_sends_the_originals_when_the_rest_of_the_order_is_cancelled(workers, chat):
    first, second, third = order(workers, count=3, telegram_id=chat.id)
    submit_all([first, second, third])
    finish(first)
    finish(second)

    chat.send("/cancel")
    chat.tap(chat.last_keyboard()[0][0]["callback_data"])

    assert Generation.objects.get(pk=third.pk).status == "cancelled"
    (album,) = workers.telegram.requests("sendMediaGroup", chat_id=chat.id)
    assert len(album.params["media"]) == 2
    # The bot answered the cancel itself: no closing message on top.
    assert not [text for text in workers.telegram.texts(chat_id=chat.id) if text.startswith("Заказ выполнен")]
    assert [call.params.get("reply_markup") for call in workers.telegram.requests("sendPhoto")] == [None, None]


def test_it_answers_an_album_as_telegram_does(workers, settings):
    messages = sender.send_media_group(SELLER, files=[("a.jpg", b"one"), ("b.jpg", b"two")], caption="<b>Оба</b>")

    assert [message["document"]["file_name"] for message in messages] == ["a.jpg", "b.jpg"]
    assert len({message["media_group_id"] for message in messages}) == 1
    assert "caption" not in messages[0] and messages[1]["caption"] == "<b>Оба</b>"
    refused = sender.call(
        "sendMediaGroup",
        chat_id=SELLER,
        params={"media": [{"type": "document", "media": "attach://x"}, {"type": "photo", "media": "attach://y"}]},
        files={"x": ("x.jpg", b"x"), "y": ("y.jpg", b"y")},
    )
    assert refused is None and workers.telegram.requests("sendMediaGroup")[-1].status == 400
    with pytest.raises(ValueError):
        sender.send_media_group(SELLER, files=[("a.jpg", b"one")])
