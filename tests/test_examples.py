"""«Examples»: what operators publish in the admin is what a seller is shown; the files stay private."""

import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from botapp.models import Example
from tests.factories import product_photo

MENU = "✨ Примеры"
VIDEO = b"\x00\x00\x00\x18ftypmp42 an example video"


def example(kind="image", *, content=None, published=True, position=0, caption="", caption_en=""):
    row = Example(kind=kind, caption=caption, caption_en=caption_en, position=position, is_published=published)
    extension = "mp4" if kind == "video" else "jpg"
    row.file.save(f"upload.{extension}", ContentFile(content or (VIDEO if kind == "video" else product_photo())))
    return row


def test_it_says_when_there_are_no_examples_yet(chat):
    example(published=False, caption="Черновик")
    chat.send("/start")

    chat.tap_button(MENU)

    assert chat.last_reply() == "Примеры пока готовятся: мы выбираем лучшие. А пока попробуйте на своём товаре."
    assert "🎬 Создать видео" in chat.buttons()
    assert not chat.telegram.requests("sendPhoto")


def test_it_sends_the_published_examples_in_their_order_then_the_menu(chat):
    card = example(position=2, caption="Карточка <для WB>")
    video = example("video", position=1, caption="Видео")
    example(position=0, caption="Черновик", published=False)
    chat.send("/start")
    chat.replies()

    chat.tap("menu:examples")

    sent = chat.sent()[-3:]
    assert [call.method for call in sent] == ["sendVideo", "sendPhoto", "sendMessage"]
    assert sent[0].files["video"][1] == VIDEO and sent[0].params["caption"] == "Видео"
    assert sent[1].files["photo"][1] == card.file.open("rb").read()
    assert sent[1].params["caption"] == "Карточка &lt;для WB&gt;"
    assert sent[2].params["text"] == "Всё это сделано по одному фото товара. Сделаем и для вашего?"
    assert "🎬 Создать видео" in chat.buttons()
    assert "Черновик" not in str(chat.replies())
    assert video.pk


def test_it_sends_five_at_most(chat):
    for position in range(7):
        example(position=position, caption=f"№{position}")

    chat.tap("menu:examples")

    captions = [call.params.get("caption") for call in chat.telegram.requests("sendPhoto")]
    assert captions == ["№0", "№1", "№2", "№3", "№4"]


def test_it_shows_english_captions_to_english_sellers(new_chat):
    example(caption="Карточка", caption_en="A card")
    example(caption="Только по-русски", position=1)
    chat = new_chat(user_id=555, first_name="Ann", language_code="en")

    chat.tap("menu:examples")

    captions = [call.params.get("caption") for call in chat.telegram.requests("sendPhoto")]
    assert captions == ["A card", "Только по-русски"]
    assert chat.last_reply() == "All this is made from one photo of a product. Shall we make yours?"


# --- The admin ------------------------------------------------------------------------------


def staff(*codenames, username="curator"):
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="botapp", codename__in=codenames))
    return user


@pytest.mark.django_db
def test_it_lets_staff_with_permission_add_an_example_and_preview_it(client, media_root, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = ""  # Django streams the file itself, as in debug
    client.force_login(staff("add_example", "change_example", "view_example"))
    photo = product_photo()

    added = client.post(
        "/admin/botapp/example/add/",
        {
            "kind": "image",
            "file": SimpleUploadedFile("Мой товар.jpg", photo, "image/jpeg"),
            "caption": "Карточка для Ozon",
            "caption_en": "",
            "position": "1",
            "is_published": "on",
        },
    )

    assert added.status_code == 302, added.content.decode()[:2000]
    row = Example.objects.get()
    assert re.fullmatch(r"examples/[A-Za-z0-9_-]{32}\.jpg", row.file.name) and row.is_published
    page = client.get(f"/admin/botapp/example/{row.pk}/change/").content.decode()
    assert f'src="/examples/{row.pk}/file/"' in page
    assert row.file.name not in page
    shown = client.get(f"/examples/{row.pk}/file/")
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == photo
    listing = client.get("/admin/botapp/example/").content.decode()
    assert "Карточка для Ozon" in listing and 'name="form-0-is_published"' in listing


@pytest.mark.django_db
def test_it_refuses_a_file_that_is_not_its_kind(client, media_root):
    client.force_login(staff("add_example", "view_example"))

    refused = client.post(
        "/admin/botapp/example/add/",
        {"kind": "video", "file": SimpleUploadedFile("card.jpg", product_photo(), "image/jpeg"), "position": "0"},
    )

    assert refused.status_code == 200
    assert "Это видео не читается: нужен MP4." in refused.content.decode()
    assert not Example.objects.exists()


@pytest.mark.django_db
def test_it_shows_the_file_to_no_one_else(client, media_root):
    row = example()
    url = f"/examples/{row.pk}/file/"

    assert client.get(url).status_code == 302  # to the admin's login
    client.force_login(User.objects.create_user("seller", "s@example.com", "pw"))
    assert client.get(url).status_code == 302
    client.force_login(staff(username="no_rights"))
    assert client.get(url).status_code == 403


# --- The demo's examples --------------------------------------------------------------------


@pytest.mark.django_db
def test_it_seeds_the_demo_examples_once(media_root):
    out = io.StringIO()

    call_command("seed_examples", stdout=out)
    call_command("seed_examples", stdout=out)

    assert out.getvalue().splitlines() == ["examples: 3 created", "examples: 3 exist, none created"]
    rows = list(Example.objects.all())
    assert [row.kind for row in rows] == ["image", "image", "video"] and all(row.is_published for row in rows)
    for row in rows:
        assert re.fullmatch(r"examples/[A-Za-z0-9_-]{32}\.(jpg|mp4)", row.file.name)
        assert row.file.size > 10_000
