"""Stored media is private: random names, nothing public, staff by permission, sellers by a signed, expiring link."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations import notify, pipeline, storage
from generations.models import Generation
from neurocards.checks import check_media_storage
from tests.factories import make_generations, make_user, place_order
from tests.staff import make_support

pytestmark = pytest.mark.django_db
RANDOM = r"[A-Za-z0-9_-]{32}"
VIDEO = b"\x00\x00\x00\x18ftypmp42 a stored video"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = ""
    return tmp_path


@pytest.fixture
def done(media):
    (generation,) = make_generations(make_user())
    generation.reference_image.save("photo.jpg", ContentFile(b"a product photo"), save=False)
    generation.result_file.save("video.mp4", ContentFile(VIDEO), save=False)
    generation.status = Generation.Status.COMPLETED
    generation.save()
    return generation


def path_of(link):
    return link.removeprefix(django_settings.PUBLIC_BASE_URL)


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_stores_photos_and_results_under_random_names(workers, django_capture_on_commit_callbacks):
    order = place_order(make_user(credits=100), telegram=workers.telegram, count=3)
    first, second, _ = order.generations
    for generation in (first, second):
        assert pipeline.submit(generation_id=generation.pk) == "processing"
        generation.refresh_from_db()
        assert pipeline.poll(generation) == "success"
        generation.refresh_from_db()

    assert re.fullmatch(rf"references/{RANDOM}\.jpg", first.reference_image.name)
    assert first.reference_image.name == second.reference_image.name  # one photo for the order
    names = [first.result_file.name, second.result_file.name]
    assert all(re.fullmatch(rf"results/{RANDOM}\.mp4", name) for name in names) and names[0] != names[1]
    # Nothing in a name to guess from (no id, no date): a folder and 32 random characters.
    assert all(default_storage.exists(name) for name in [first.reference_image.name, *names])


def test_it_names_files_saved_through_the_model_at_random(media):
    (generation,) = make_generations(make_user())

    generation.result_file.save(f"{generation.pk}.mp4", ContentFile(VIDEO), save=False)
    generation.reference_image.save(f"{generation.pk}.jpg", ContentFile(b"photo"), save=False)

    assert re.fullmatch(rf"results/{RANDOM}\.mp4", generation.result_file.name)
    assert re.fullmatch(rf"references/{RANDOM}\.jpg", generation.reference_image.name)
    assert storage.private_name("results", "mp4") != storage.private_name("results", "mp4")


def test_it_serves_no_media_from_the_app_or_from_nginx(client, done):
    assert client.get(f"/media/{done.result_file.name}").status_code == 404
    nginx = (Path(django_settings.BASE_DIR) / "deploy" / "nginx.conf").read_text()
    assert not re.search(r"^\s*location\s+/media/", nginx, re.MULTILINE)
    protected = re.search(r"location /protected-media/ \{(.*?)\}", nginx, re.DOTALL)
    assert protected and "internal;" in protected.group(1)
    assert "alias /var/lib/neurocards/media/;" in protected.group(1)


def test_it_serves_a_good_link_to_its_result(client, done):
    response = client.get(path_of(storage.result_link(done)))

    assert response.status_code == 200 and body(response) == VIDEO
    assert response["Content-Type"] == "video/mp4" and response["Cache-Control"].startswith("private")
    assert response["Content-Disposition"] == f'attachment; filename="video_{done.pk}.mp4"'


def test_it_answers_404_to_a_guessed_link(client, done):
    guesses = (
        f"{done.pk}",
        f"{done.pk}.abc.def",
        "1.1.1",
        "junk",
        "%C2%B2.a.b",
        "0",
        f"{done.pk}.{'A' * 6}.{'B' * 43}",
    )
    for guess in guesses:
        assert client.get(f"/generations/results/{guess}/").status_code == 404, guess


def test_it_answers_404_to_an_altered_link(client, done):
    (other,) = make_generations(make_user())
    other.result_file.save("other.mp4", ContentFile(b"someone else's video"))
    token = path_of(storage.result_link(done)).rstrip("/").rsplit("/", 1)[1]
    pk, stamp, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    # Another moment, whatever the stamp ends with (a stamp ending in "0" once made this no change at all).
    restamped = stamp[:-1] + ("1" if stamp[-1] != "1" else "2")

    for altered in (f"{other.pk}.{stamp}.{signature}", f"{pk}.{stamp}.{flipped}", f"{pk}.{restamped}.{signature}"):
        assert client.get(f"/generations/results/{altered}/").status_code == 404, altered


def test_it_answers_404_to_an_expired_link(client, done, settings, monkeypatch):
    settings.RESULT_LINK_HOURS = 72
    hours_ago = int(time.time()) - 73 * 3600
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(hours_ago))
    link = storage.result_link(done)
    monkeypatch.undo()

    assert client.get(path_of(link)).status_code == 404


def test_it_voids_a_link_when_its_file_is_replaced_or_deleted(client, done):
    link = storage.result_link(done)
    done.result_file.save("again.mp4", ContentFile(b"a newer file"))

    assert client.get(path_of(link)).status_code == 404
    Generation.objects.filter(pk=done.pk).update(result_file="")
    assert client.get(path_of(storage.result_link(done))).status_code == 404


def test_it_sends_a_signed_link_for_a_video_too_large_to_upload(workers, client, settings, monkeypatch):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = ""
    monkeypatch.setattr(notify, "MAX_VIDEO_UPLOAD", 10)
    order = place_order(make_user(credits=100, telegram_id=5151), telegram=workers.telegram)
    generation = order.generations[0]
    assert pipeline.submit(generation_id=generation.pk) == "processing"
    generation.refresh_from_db()

    settings.PUBLIC_BASE_URL = "https://bot.example.com"  # after submit: the fake KIE gets no callback URL
    pipeline.poll(generation)

    generation.refresh_from_db()
    text = workers.telegram.requests("sendMessage", chat_id=5151)[-1].params["text"]
    link = re.search(r"https://bot\.example\.com(/generations/results/[^/\s]+/)", text)
    assert link, text
    assert generation.result_file.name not in text
    response = client.get(link.group(1))
    assert response.status_code == 200
    with generation.result_file.open("rb") as file:
        assert body(response) == file.read()


def test_it_shows_a_support_user_the_photo_and_the_result(client, done):
    client.force_login(make_support())

    html = client.get(f"/admin/generations/generation/{done.pk}/change/").content.decode()
    photo, result = f"/generations/{done.pk}/media/reference/", f"/generations/{done.pk}/media/result/"

    assert f'<img src="{photo}"' in html and f'<video src="{result}"' in html
    assert body(client.get(photo)) == b"a product photo"
    assert body(client.get(result)) == VIDEO


def test_it_hands_the_bytes_to_nginx_when_a_prefix_is_set(client, done, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    client.force_login(make_support())

    response = client.get(f"/generations/{done.pk}/media/result/")
    link = client.get(path_of(storage.result_link(done)))

    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{done.result_file.name}"
    assert link["X-Accel-Redirect"] == f"/protected-media/{done.result_file.name}"


def test_it_shows_a_logged_out_visitor_nothing(client, done):
    for field in ("reference", "result"):
        response = client.get(f"/generations/{done.pk}/media/{field}/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_it_shows_nothing_to_staff_without_the_permission_or_to_a_non_staff_user(client, done):
    staff = User.objects.create_user("intern", "intern@example.com", "pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_telegramuser"))
    client.force_login(staff)
    assert client.get(f"/generations/{done.pk}/media/result/").status_code == 403

    client.force_login(User.objects.create_user("seller", "seller@example.com", "pw"))
    assert client.get(f"/generations/{done.pk}/media/result/").status_code == 302


def test_it_answers_404_for_a_missing_file_or_an_unknown_field(client, done, media):
    client.force_login(make_support())
    (empty,) = make_generations(make_user())

    assert client.get(f"/generations/{empty.pk}/media/result/").status_code == 404
    assert client.get(f"/generations/{done.pk}/media/callback_token/").status_code == 404
    assert client.get("/generations/999999/media/result/").status_code == 404
    (media / done.result_file.name).unlink()
    assert client.get(f"/generations/{done.pk}/media/result/").status_code == 404


def test_it_names_the_missing_s3_variables(settings):
    settings.MEDIA_STORAGE = "s3"
    settings.S3_BUCKET, settings.S3_REGION = "media", "ru-central1"
    settings.S3_ACCESS_KEY_ID = settings.S3_SECRET_ACCESS_KEY = ""

    (error,) = check_media_storage(None)

    assert error.id == "neurocards.E040"
    assert "S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY are empty" in error.msg
    settings.MEDIA_STORAGE = "S3 please"
    assert [e.id for e in check_media_storage(None)] == ["neurocards.E041"]
    settings.MEDIA_STORAGE = "filesystem"
    assert check_media_storage(None) == []
