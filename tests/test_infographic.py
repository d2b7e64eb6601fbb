"""«Инфографика»: the seller's title and points typeset by us, legible, inside every format's safe area."""

import random

import pytest
from PIL import Image, ImageChops, ImageDraw

from generations import cards, media
from generations.formats import CARD_FORMATS
from tests import ocr

TITLE = "Термокружка 350 мл"
POINTS = ["Держит тепло 6 часов", "Не протекает", "Сталь 304", "Подходит для авто"]
LONG_WORD = "Высокопрочныйнержавеющийстальнойкорпус"
LONG_POINT = "Держит тепло шесть часов даже в сильный мороз на улице, в машине и в походе по горам"
TEXTS = {
    "known": (TITLE, POINTS),
    "long word": (LONG_WORD, [LONG_WORD, *POINTS[1:]]),
    "long point": (TITLE, [LONG_POINT, *POINTS[1:]]),
    "everything long": (f"{LONG_WORD} {LONG_POINT}"[:120], [LONG_POINT, LONG_WORD + LONG_WORD, LONG_POINT, LONG_POINT]),
    "title only": (TITLE, []),
    "points only": ("", POINTS),
}


def scene(size, kind="noise"):
    """A scene a model might return: white, black, or the worst case, bright colourful noise."""
    if kind == "noise":
        width, height = size
        return Image.frombytes("RGB", size, random.Random(7).randbytes(width * height * 3))
    return Image.new("RGB", size, {"white": (255, 255, 255), "black": (0, 0, 0)}[kind])


def luminance(colour):
    def linear(channel):
        channel /= 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    """WCAG 2.x contrast ratio."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colours(image):
    return [colour for _count, colour in image.getcolors(image.width * image.height)]


def inside(box, area):
    return area[0] <= box[0] < box[2] <= area[2] and area[1] <= box[1] < box[3] <= area[3]


@pytest.mark.parametrize("texts", TEXTS.values(), ids=TEXTS.keys())
@pytest.mark.parametrize("card", CARD_FORMATS.values(), ids=CARD_FORMATS.keys())
def test_it_keeps_every_box_inside_the_safe_area(card, texts):
    title, points = texts

    plan = cards.layout(card, title, points)

    safe = cards.safe_area(card)
    left, top, right, bottom = cards.SAFE_INSETS[card.name]
    assert safe == (left, top, card.size[0] - right, card.size[1] - bottom)
    assert plan.boxes() and all(inside(box, safe) for box in plan.boxes())
    assert all(inside(block.box, plan.panel) for block in plan.blocks)
    for block in plan.blocks:
        face = cards.font(block.size, bold=block.bold)
        assert all(block.box[0] + face.getlength(line) <= block.box[2] for line in block.lines)
        ink = [face.getbbox(line, anchor="ls") for line in block.lines]
        assert block.box[1] <= min(b[1] + base for b, base in zip(ink, block.baselines, strict=True))
        assert max(b[3] + base for b, base in zip(ink, block.baselines, strict=True)) <= block.box[3]
    boxes = sorted(b.box for b in plan.blocks)
    assert all(a[3] <= b[1] for a, b in zip(boxes, boxes[1:], strict=False))  # blocks never overlap


def test_it_keeps_clear_of_the_stories_interface():
    plan = cards.layout(CARD_FORMATS["stories"], TITLE, POINTS)

    assert plan.panel[1] >= 250 and plan.panel[3] <= 1920 - 250


@pytest.mark.parametrize("card", CARD_FORMATS.values(), ids=CARD_FORMATS.keys())
def test_it_hyphenates_a_long_russian_word_and_wraps_a_long_point(card):
    plan = cards.layout(card, LONG_WORD, [LONG_POINT])

    title, point = plan.blocks
    assert len(title.lines) >= 2 and all(line.endswith("-") for line in title.lines[:-1])
    assert "".join(line.removesuffix("-") for line in title.lines) == LONG_WORD
    assert not any(line[0] in "ьъй" for line in title.lines)  # Russian never starts a line with these
    assert len(point.lines) >= 2 and " ".join(point.lines) == LONG_POINT  # wrapped, nothing cut


@pytest.mark.parametrize("card", CARD_FORMATS.values(), ids=CARD_FORMATS.keys())
def test_it_keeps_a_soft_sign_with_the_syllable_it_closes(card):
    (_, point) = cards.layout(card, "Термокружка", [LONG_WORD]).blocks

    assert len(point.lines) >= 2
    assert not any(line[1] in "ьъ" for line in point.lines[1:])  # "сталь-ной", not "ста-льной"


def test_it_never_makes_a_line_wider_than_asked():
    face = cards.font(80)

    for width in (120, 300, 700):
        lines = cards.wrap(f"{LONG_WORD} и {LONG_WORD}", face, width)
        assert all(face.getlength(line) <= width for line in lines)
        assert "".join(lines).replace("-", "").replace(" ", "") == f"{LONG_WORD}и{LONG_WORD}"


@pytest.mark.parametrize("kind", ["noise", "white", "black"])
@pytest.mark.parametrize("card", CARD_FORMATS.values(), ids=CARD_FORMATS.keys())
def test_it_draws_legible_text_on_any_scene_and_nothing_outside_its_panel(card, kind):
    background = scene(card.size, kind)

    image = cards.typeset(background, title=TITLE, points=POINTS, card_format=card)

    assert image.mode == "RGB" and image.size == card.size
    plan = cards.layout(card, TITLE, POINTS)
    outside = Image.new("L", card.size, 255)
    ImageDraw.Draw(outside).rectangle(plan.panel, fill=0)
    assert ImageChops.difference(image, background).getbbox() is not None
    assert not ImageChops.multiply(ImageChops.difference(image, background).convert("L"), outside).getbbox()
    left, top, right, _ = plan.panel
    # Where only the panel shows (its top padding and right of each line): its brightest colour vs the ink.
    padding = [(left + plan.radius, top + 2, right - plan.radius, plan.blocks[0].box[1] - 2)]
    padding += [(block.box[2] + 8, block.box[1], right - plan.radius, block.box[3]) for block in plan.blocks]
    for region in padding:
        brightest = max(colours(image.crop(region)), key=luminance)
        assert contrast(cards.INK, brightest) >= 4.5
    for block in plan.blocks:
        counts = image.crop(block.box).getcolors(card.size[0] * card.size[1])
        inked = sum(count for count, colour in counts if contrast(colour, cards.INK) < 1.2)
        assert inked > 0.05 * (block.box[2] - block.box[0]) * (block.box[3] - block.box[1])
        assert ImageChops.difference(image.crop(block.box), background.crop(block.box)).getbbox()


@pytest.mark.parametrize("card", CARD_FORMATS.values(), ids=CARD_FORMATS.keys())
def test_it_reads_back_as_the_sellers_words(card):
    image = cards.typeset(scene(card.size), title=TITLE, points=POINTS, card_format=card)

    text = ocr.read(image, cards.layout(card, TITLE, POINTS).panel)

    for word in ("Термокружка", "Держит", "тепло", "часов", "протекает", "Сталь", "Подходит", "авто"):
        assert word in text


def test_it_reads_back_a_hyphenated_word():
    card = CARD_FORMATS["ym_square"]
    image = cards.typeset(scene(card.size, "white"), title=LONG_WORD, points=[LONG_POINT], card_format=card)

    text = ocr.read(image, cards.layout(card, LONG_WORD, [LONG_POINT]).panel)

    assert "сталь" in text.lower() and "мороз" in text


def test_it_leaves_the_scene_unchanged_without_title_or_points():
    background = scene((1200, 1600))

    image = cards.typeset(background, title="  ", points=["", " "], card_format="wb_ozon")

    assert cards.layout(CARD_FORMATS["wb_ozon"], "", []).boxes() == []
    assert image.tobytes() == background.tobytes()


def test_it_draws_only_the_title_without_points():
    plan = cards.layout(CARD_FORMATS["wb_ozon"], TITLE, [])

    assert [(block.lines, block.bold, block.bullet) for block in plan.blocks] == [((TITLE,), True, None)]


def test_it_draws_at_most_four_points():
    plan = cards.layout(CARD_FORMATS["wb_ozon"], TITLE, [*POINTS, "Пятый пункт"])

    assert [block.lines[0] for block in plan.blocks[1:]] == POINTS


def test_it_typesets_the_same_pixels_for_the_same_input():
    background = scene((1080, 1920))

    first = cards.typeset(background, title=TITLE, points=POINTS, card_format="stories")

    assert first.tobytes() == cards.typeset(background, title=TITLE, points=POINTS, card_format="stories").tobytes()


def test_it_fits_a_scene_of_another_size_to_the_format():
    image = cards.typeset(scene((864, 1184), "white"), title=TITLE, points=POINTS, card_format="stories")

    assert image.size == (1080, 1920)


def test_it_sets_text_in_the_bundled_font():
    bold, regular = media._font(40), media._font(40, bold=False)

    assert bold.path == str(media.FONTS / "NotoSans-Bold.ttf")
    assert regular.path == str(media.FONTS / "NotoSans-Regular.ttf")
    assert cards.font(40).path == bold.path and cards.font(40, bold=False).path == regular.path
    assert media._has_cyrillic(bold) and media._has_cyrillic(regular)
    assert (media.FONTS / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE Version 1.1") == 1


def test_it_says_so_loudly_when_the_bundled_font_is_gone(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(media, "FONTS", tmp_path)
    media._font.cache_clear()
    try:
        media._font(41)
    finally:
        media._font.cache_clear()

    assert any(record.levelname == "ERROR" and "bundled font" in record.message for record in caplog.records)
