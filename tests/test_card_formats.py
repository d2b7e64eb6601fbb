"""Every card format's output: its exact size, an opaque JPEG under its limit; the offline scene at its aspect;
an infographic made end to end with the seller's points in it."""

import dataclasses
import io
import json
import random

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from generations import cards, formats, media, pipeline, results
from generations.models import Generation
from generations.providers import get_provider
from generations.providers.local import LocalProvider
from tests import ocr
from tests.factories import make_user, place_order, product_photo

TITLE = "Термокружка 350 мл"
POINTS = ["Держит тепло 6 часов", "Не протекает", "Сталь 304", "Подходит для авто"]


def encode(image, fmt="PNG"):
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def transparent_scene(size=(864, 1184)):
    """What nano-banana may return: a PNG with alpha (a product on a transparent background)."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    w, h = size
    ImageDraw.Draw(image).ellipse((w // 4, h // 8, w * 3 // 4, h // 2), fill=(30, 90, 200, 255))
    return encode(image)


def opened(content):
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def card_generation(template, card_format, **fields):
    fields = {"title": TITLE, "points": POINTS, "description": "Термокружка 350 мл\nСталь, крышка", **fields}
    return Generation(kind=Generation.Kind.IMAGE, template=template, card_format=card_format, **fields)


@pytest.mark.parametrize("template", ["studio", "infographic"])
@pytest.mark.parametrize("card", formats.CARD_FORMATS.values(), ids=formats.CARD_FORMATS.keys())
def test_it_delivers_every_format_at_its_size_as_an_opaque_jpeg_under_its_limit(card, template):
    content, extension = results.prepare(card_generation(template, card.name), transparent_scene())

    assert extension == "jpg" and len(content) < card.max_bytes
    assert media.probe_image(content) == ("JPEG", *card.size)
    image = opened(content)
    assert image.mode == "RGB" and "transparency" not in image.info
    assert all(channel > 240 for channel in image.getpixel((4, 4)))  # the alpha flattened on white


@pytest.mark.parametrize("template", ["studio", "infographic"])
def test_it_keeps_a_card_under_a_tight_byte_limit(template, monkeypatch):
    tight = dataclasses.replace(formats.CARD_FORMATS["stories"], max_bytes=1_200_000)
    monkeypatch.setitem(formats.CARD_FORMATS, "stories", tight)
    width, height = tight.size  # noise: at the first quality tried its JPEG is 1.8 MB
    noise = Image.frombytes("RGB", tight.size, random.Random(3).randbytes(width * height * 3))

    content, _ = results.prepare(card_generation(template, "stories"), encode(noise))

    assert len(content) < 1_200_000 and media.probe_image(content) == ("JPEG", *tight.size)


def test_it_typesets_the_infographic_and_leaves_studio_cards_bare():
    scene = transparent_scene()

    studio, _ = results.prepare(card_generation("studio", "wb_ozon"), scene)
    infographic, _ = results.prepare(card_generation("infographic", "wb_ozon"), scene)

    assert studio == media.normalize_card(scene, (1200, 1600), formats.MB * 10)
    expected = cards.typeset(media.fit_card(scene, (1200, 1600)), title=TITLE, points=POINTS, card_format="wb_ozon")
    assert infographic == media.encode_jpeg(expected, formats.MB * 10)


def test_it_titles_an_infographic_with_the_first_line_of_the_description_when_it_has_no_title():
    scene = transparent_scene()

    untitled, _ = results.prepare(card_generation("infographic", "ym_square", title="", points=[]), scene)

    expected = cards.typeset(media.fit_card(scene, (1200, 1200)), title=TITLE, points=[], card_format="ym_square")
    assert untitled == media.encode_jpeg(expected, formats.MB * 10)


@pytest.mark.parametrize(
    "aspect, size", [("3:4", (1200, 1600)), ("1:1", (1200, 1200)), ("9:16", (1080, 1920)), (None, (1200, 1600))]
)
def test_it_renders_the_local_scene_at_the_asked_aspect(media_root, aspect, size):
    provider = LocalProvider(delay=0, failures={})
    image_url = provider.upload_reference(content=product_photo(), filename="product.jpg")

    task_id = provider.create_task(kind="image", prompt="p", image_url=image_url, callback_url=None, aspect=aspect)

    (url,) = provider.get_task(task_id).result_urls
    assert media.probe_image(provider.download(url)) == ("JPEG", *size)


@pytest.fixture
def offline(workers, settings):
    settings.GENERATION_PROVIDER = "local"
    settings.LOCAL_PROVIDER_DELAY_SECONDS = 0
    get_provider.cache_clear()
    yield workers
    get_provider.cache_clear()


@pytest.mark.django_db
def test_it_delivers_an_infographic_stories_card_with_the_points_end_to_end(offline):
    order = place_order(
        make_user(credits=50),
        telegram=offline.telegram,
        kind="image",
        template="infographic",
        card_format="stories",
        title=TITLE,
        points=POINTS,
    )
    (generation,) = order.generations

    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    pipeline.poll(generation)

    generation.refresh_from_db()
    assert generation.status == "completed" and generation.provider == "local"
    with default_storage.open(f"local-provider/tasks/{generation.provider_task_id}.json") as file:
        task = json.load(file)
    assert task["aspect"] == "9:16" and task["title"] == ""  # the provider draws no text of its own
    with generation.result_file.open("rb") as file:
        content = file.read()
    assert media.probe_image(content) == ("JPEG", 1080, 1920)
    image = opened(content)
    plan = cards.layout("stories", TITLE, POINTS)
    for block in plan.blocks:  # white ink in every line's box
        assert max(sum(pixel) for _count, pixel in image.crop(block.box).getcolors(1080 * 1920)) > 720
    text = ocr.read(image, plan.panel)
    assert all(word in text for word in ("Термокружка", "тепло", "протекает", "Сталь", "авто"))
    photo = offline.telegram.requests("sendPhoto")[-1]
    assert photo.params["chat_id"] == generation.user.telegram_id


@pytest.mark.django_db
def test_it_asks_the_image_model_for_the_format_and_no_text(workers):
    order = place_order(
        make_user(credits=50),
        telegram=workers.telegram,
        kind="image",
        template="infographic",
        card_format="ym_square",
        title=TITLE,
        points=POINTS,
    )
    workers.openai.fail_next(status=503, type="server_error", times=3)  # the fallback prompt, deterministic

    pipeline.submit(generation_id=order.generations[0].pk)

    task = workers.kie.requests("createTask")[0].params["input"]
    assert task["image_size"] == "1:1"
    assert "square 1:1" in task["prompt"] and "no added text" in task["prompt"]
