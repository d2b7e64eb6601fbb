"""The product photo is downloaded and checked by its bytes at the photo step, before any charge."""

import uuid

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import TelegramUser
from botapp import flow
from botapp.models import FlowState
from generations import pipeline, services
from generations.models import Generation
from messaging import sender
from tests.chat import image
from tests.factories import make_user, product_photo

OVER_20_MB = b"\xff\xd8\xff\xe0" + b"\0" * (21 * 1024 * 1024)


def flow_of(chat):
    return FlowState.objects.get(user__telegram_id=chat.id)


def stored(media_root):
    return sorted(path.name for path in (media_root / "references").glob("*")) if media_root.exists() else []


def confirm(chat):
    chat.send("Керамическая кружка, 350 мл")
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")


def test_it_accepts_and_stores_a_real_jpeg_sent_without_a_file_size(at_photo, media_root):
    jpeg = image("JPEG")

    at_photo.send_photo(file_id="AgACno-size", file_size=None, content=jpeg)

    assert "опишите товар" in at_photo.last_reply().lower()
    draft = flow_of(at_photo).draft
    assert draft["photo"] == "AgACno-size" and "pending_photo" not in draft
    assert draft["image"].startswith("references/") and draft["image"].endswith(".jpg")
    with default_storage.open(draft["image"], "rb") as file:
        assert file.read() == jpeg
    confirm(at_photo)
    generation = Generation.objects.get()
    assert (generation.reference_image.name, generation.reference_file_id) == (draft["image"], "AgACno-size")


def test_it_takes_the_caption_of_a_checked_photo_as_the_description(at_photo):
    at_photo.send_photo(caption="Кружка с котиком, 300 мл")

    assert "шаблон" in at_photo.last_reply().lower()
    draft = flow_of(at_photo).draft
    assert (flow_of(at_photo).step, draft["description"]) == ("template", "Кружка с котиком, 300 мл")


def test_it_refuses_an_html_page_sent_as_a_png_before_any_charge(at_photo, media_root):
    at_photo.send_document(mime_type="image/png", file_name="mug.png", content=b"<!doctype html><html>hi</html>")

    reply = at_photo.last_reply()
    assert "не похож на изображение" in reply and "JPEG, PNG или WebP" in reply
    assert flow_of(at_photo).step == "photo"
    assert stored(media_root) == []
    assert not Generation.objects.exists() and TelegramUser.objects.get(telegram_id=at_photo.id).balance == 100


def test_it_speaks_english_to_an_english_seller(new_chat):
    chat = new_chat(user_id=5150, language_code="en")
    chat.send("/start")
    chat.tap("menu:video")

    chat.send_document(mime_type="image/jpeg", file_name="mug.jpg", content=b"GIF89a not really")

    assert "not an image I can read" in chat.last_reply()


@pytest.mark.parametrize("registered_size", [None, 1000], ids=["getFile says too big", "getFile's size lies"])
def test_it_refuses_a_file_over_20_mb_that_did_not_say_its_size(at_photo, media_root, registered_size):
    file_id = f"BQACbig-{registered_size}"
    at_photo.telegram.add_file(OVER_20_MB, file_id=file_id, file_size=registered_size)
    document = {"file_name": "huge.jpg", "mime_type": "image/jpeg", "file_id": file_id, "file_unique_id": "AgADbig"}

    at_photo.post(at_photo.message_update(document=document))

    assert "больше 20 МБ" in at_photo.last_reply()
    assert flow_of(at_photo).step == "photo" and stored(media_root) == []


def test_it_asks_to_try_again_when_the_download_fails(at_photo):
    at_photo.telegram.fail_next("getFile", status=502, description="Bad Gateway")

    at_photo.send_photo()

    assert "Попробуйте ещё раз" in at_photo.last_reply()
    assert flow_of(at_photo).step == "photo" and "pending_photo" not in flow_of(at_photo).draft
    at_photo.send_photo()
    assert "опишите товар" in at_photo.last_reply().lower()


def test_it_downloads_and_advances_once_for_a_redelivered_photo_update(at_photo, media_root):
    update = at_photo.send_photo()

    at_photo.post(update)

    assert len(at_photo.telegram.requests("getFile")) == 1
    assert len(at_photo.replies()) == 1
    assert flow_of(at_photo).step == "description" and len(stored(media_root)) == 1


def test_it_changes_nothing_when_the_check_runs_again(at_photo, media_root):
    at_photo.send_photo()
    at_photo.replies()
    state = flow_of(at_photo)

    # As if the after-commit action ran twice: its token is gone from the draft, so nothing happens.
    assert flow.check_photo(state.pk, "an-old-token") == []
    assert flow_of(at_photo).draft == state.draft and len(at_photo.telegram.requests("getFile")) == 1


def test_it_drops_the_photo_when_the_seller_cancels_during_its_download(at_photo, media_root, monkeypatch):
    real_fetch = sender.fetch_file

    def fetch_while_cancelling(file_id, **kwargs):
        # The cancel is a whole other update, handled while we download: no lock is held meanwhile.
        response = httpx.post(
            at_photo.server.webhook_url,
            json=at_photo.tap_update("flow:cancel"),
            headers={"X-Telegram-Bot-Api-Secret-Token": at_photo.server.secret},
            timeout=10,
        )
        assert response.status_code == 200
        return real_fetch(file_id, **kwargs)

    monkeypatch.setattr(sender, "fetch_file", fetch_while_cancelling)

    at_photo.send_photo()

    assert [reply for reply in at_photo.replies() if "опишите" in reply.lower()] == []
    assert flow_of(at_photo).step == "idle" and stored(media_root) == []


@pytest.mark.django_db
def test_it_submits_a_checked_photo_without_downloading_it_again(workers):
    photo = product_photo()
    name = default_storage.save("references/checked.jpg", ContentFile(photo))
    order = services.create_order(
        user=make_user(credits=50),
        kind="video",
        template="ugc",
        description="Кружка",
        wishes="",
        reference_file_id="AgACgone-from-telegram",
        reference_image=name,
        count=1,
        order_id=uuid.uuid4(),
    )

    assert pipeline.submit(generation_id=order.generations[0].pk) == "processing"

    assert workers.telegram.requests("getFile") == []
    assert workers.kie.uploads[0].content == photo
