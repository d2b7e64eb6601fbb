"""The gallery: a seller's own results, newest first, grouped by product, with signed thumbnails and downloads."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from generations.models import Generation
from tests.factories import make_user, product_photo
from tests.fakes.telegram import FakeTelegram
from tests.tma import completed, header

pytestmark = pytest.mark.django_db

API = "/miniapp/api"


@pytest.fixture(autouse=True)
def bot_token(settings, media_root):
    settings.TELEGRAM_BOT_TOKEN = FakeTelegram.TOKEN
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = ""  # the app streams the files itself (no nginx in front)


def aged(generation, minutes):
    Generation.objects.filter(pk=generation.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    generation.refresh_from_db()
    return generation


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_shows_only_the_users_own_results(client):
    seller, other = make_user(telegram_id=6660001), make_user(telegram_id=6660002)
    mine = completed(seller, description="Термокружка 350 мл")
    completed(other, description="Чужая кружка")

    products = client.get(f"{API}/gallery", **header(seller)).json()["products"]

    assert [[item["id"] for item in product["items"]] for product in products] == [[mine.pk]]
    assert products[0]["title"] == "Термокружка 350 мл"


def test_it_groups_results_by_product_ordered_by_the_newest_of_each(client):
    seller = make_user(telegram_id=6660003)
    mug_old = aged(completed(seller, description="Mug", reference_file_id="photo-mug"), 50)
    lamp = aged(completed(seller, description="Lamp", reference_file_id="photo-lamp", kind="video"), 30)
    mug_new = aged(completed(seller, description="Mug", reference_file_id="photo-mug"), 10)
    plain = aged(completed(seller, description="Plate"), 40)

    products = client.get(f"{API}/gallery", **header(seller, language_code="en")).json()["products"]

    assert [(product["title"], [item["id"] for item in product["items"]]) for product in products] == [
        ("Mug", [mug_new.pk, mug_old.pk]),
        ("Lamp", [lamp.pk]),
        ("Plate", [plain.pk]),
    ]
    video = products[1]["items"][0]
    assert video["kind"] == "video" and video["model"] == "Sora 2" and video["template"] == "Buyer's video review"
    assert products[0]["items"][0]["template"] == "Studio shot (for the main photo)"
    assert products[0]["items"][0]["model"] is None


def test_it_leaves_out_unfinished_results_and_cleaned_up_files(client):
    seller = make_user(telegram_id=6660004)
    shown = completed(seller)
    completed(seller).result_file.delete(save=True)
    Generation.objects.filter(pk=completed(seller).pk).update(status="failed")

    products = client.get(f"{API}/gallery", **header(seller)).json()["products"]

    assert [item["id"] for product in products for item in product["items"]] == [shown.pk]


def test_it_pages_thirty_results_at_a_time(client):
    seller = make_user(telegram_id=6660005)
    made = [aged(completed(seller, description=f"Item {n}"), 100 - n) for n in range(32)]

    first = client.get(f"{API}/gallery", **header(seller)).json()
    second = client.get(f"{API}/gallery?page=2", **header(seller)).json()

    assert sum(len(product["items"]) for product in first["products"]) == 30 and first["next_page"] == 2
    assert [item["id"] for product in second["products"] for item in product["items"]] == [made[1].pk, made[0].pk]
    assert second["next_page"] is None


def test_it_gives_a_signed_download_link_of_the_original(client):
    seller = make_user(telegram_id=6660006)
    original = product_photo()
    generation = completed(seller, photo=original)

    item = client.get(f"{API}/gallery", **header(seller)).json()["products"][0]["items"][0]
    download = client.get(item["download_url"])

    assert download.status_code == 200 and body(download) == original
    assert f"image_{generation.pk}.jpg" in download["Content-Disposition"]
    assert client.get(item["download_url"][:-4] + "abc/").status_code == 404


def test_it_makes_a_small_jpeg_thumbnail_once_and_serves_it_by_its_signed_link(client, media_root):
    seller = make_user(telegram_id=6660007)
    completed(seller, photo=product_photo(size=(1600, 2000)))

    item = client.get(f"{API}/gallery", **header(seller)).json()["products"][0]["items"][0]
    first = client.get(item["thumb_url"])
    second = client.get(item["thumb_url"])

    assert first.status_code == 200 and first["Content-Type"] == "image/jpeg"
    content = body(first)
    picture = Image.open(io.BytesIO(content))
    assert picture.format == "JPEG" and picture.size == (288, 360)
    assert body(second) == content
    assert len(list((media_root / "thumbs").iterdir())) == 1
    assert client.get(item["thumb_url"].replace("thumbs/", "thumbs/9")).status_code == 404


def test_it_shows_a_videos_product_photo_as_its_thumbnail_or_none(client):
    from django.core.files.base import ContentFile

    seller = make_user(telegram_id=6660008)
    without = completed(seller, kind="video", description="No photo")
    with_photo = aged(completed(seller, kind="video", description="With photo"), 5)
    with_photo.reference_image.save("mug.jpg", ContentFile(product_photo()), save=True)

    products = client.get(f"{API}/gallery", **header(seller)).json()["products"]
    items = {item["id"]: item for product in products for item in product["items"]}

    assert items[without.pk]["thumb_url"] is None
    assert client.get(items[with_photo.pk]["thumb_url"]).status_code == 200


def test_it_voids_a_thumbnail_link_once_its_source_is_gone(client):
    seller = make_user(telegram_id=6660009)
    generation = completed(seller)
    item = client.get(f"{API}/gallery", **header(seller)).json()["products"][0]["items"][0]

    generation.result_file.delete(save=True)

    assert client.get(item["thumb_url"]).status_code == 404


def test_it_deletes_a_thumbnail_with_its_result_at_cleanup(client, media_root, settings):
    from ops import cleanup

    seller = make_user(telegram_id=6660010)
    generation = completed(seller)
    item = client.get(f"{API}/gallery", **header(seller)).json()["products"][0]["items"][0]
    assert client.get(item["thumb_url"]).status_code == 200
    Generation.objects.filter(pk=generation.pk).update(
        finished_at=timezone.now() - timedelta(days=settings.RESULT_TTL_DAYS + 1)
    )

    cleanup.run()

    assert list((media_root / "thumbs").iterdir()) == []
    assert client.get(item["thumb_url"]).status_code == 404
