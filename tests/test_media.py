"""Media for the marketplaces: cards and videos made in memory, bad input refused as MediaError."""

import io
import struct
import tempfile
import zlib

import av
import pytest
from PIL import Image, ImageDraw

from generations import media
from generations.media import CARD_SIZE, MAX_CARD_BYTES, VIDEO_SIZE, MediaError

JUNK = b"definitely not an image \x00\x01\x02" * 10


def encode(image, fmt="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def product(size, mode="RGB", background=(200, 180, 160)):
    """A red oval on a background (transparent in RGBA), like a cut-out product shot."""
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else background)
    w, h = size
    ImageDraw.Draw(image).ellipse((w * 0.25, h * 0.25, w * 0.75, h * 0.75), fill=(200, 40, 30))
    return image


def png_header(width, height):
    """A PNG that is only a signature and an IHDR: what a decompression bomb shows before its data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def opened(content):
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def near(colour, expected, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))


def test_it_normalizes_a_small_transparent_png_to_an_opaque_card():
    card = media.normalize_card(encode(product((864, 1184), "RGBA")))

    assert media.probe_image(card) == ("JPEG", *CARD_SIZE)
    image = opened(card)
    assert image.mode == "RGB"
    assert near(image.getpixel((10, 10)), (255, 255, 255))  # transparency flattened on white
    assert near(image.getpixel((600, 800)), (200, 40, 30))


def test_it_pads_a_landscape_image_to_3_by_4_without_cutting_the_product():
    card = media.normalize_card(encode(product((2000, 1000)), "JPEG", quality=95))

    image = opened(card)
    assert image.size == CARD_SIZE
    assert near(image.getpixel((600, 30)), (200, 180, 160))  # padding takes the edge colour
    assert near(image.getpixel((600, 800)), (200, 40, 30))
    assert near(image.getpixel((330, 800)), (200, 40, 30))  # the oval's sides survive


def test_it_keeps_a_huge_allowed_photo_under_the_size_limit():
    noise = Image.merge("RGB", [Image.effect_noise((1500, 2000), sigma) for sigma in (40, 60, 80)])
    noisy = noise.resize((6000, 8000), Image.Resampling.NEAREST)  # 48 MP, quicker than 48 MP of noise

    card = media.normalize_card(encode(noisy, "JPEG", quality=90))

    assert media.probe_image(card) == ("JPEG", *CARD_SIZE)
    assert len(card) < MAX_CARD_BYTES


def test_it_steps_quality_down_until_the_card_fits(monkeypatch):
    noisy = encode(Image.merge("RGB", [Image.effect_noise(CARD_SIZE, 90)] * 3), "PNG")
    best = len(media.normalize_card(noisy))
    monkeypatch.setattr(media, "MAX_CARD_BYTES", best * 2 // 3)

    assert len(media.normalize_card(noisy)) < best * 2 // 3
    monkeypatch.setattr(media, "MAX_CARD_BYTES", 1000)
    with pytest.raises(MediaError):
        media.normalize_card(noisy)


def test_it_flattens_cmyk_to_rgb():
    card = media.normalize_card(encode(Image.new("CMYK", (900, 1200), (0, 255, 255, 0)), "JPEG"))

    image = opened(card)
    assert image.mode == "RGB"
    assert near(image.getpixel((600, 800)), (255, 0, 0), tolerance=40)


def test_it_scales_16_bit_grey_instead_of_clipping_it():
    grey = Image.new("I;16", (900, 1200), 32768)  # mid-grey in 16 bits

    image = opened(media.normalize_card(encode(grey)))

    assert near(image.getpixel((600, 800)), (128, 128, 128), tolerance=3)


@pytest.mark.parametrize("call", [media.normalize_card, media.probe_image, lambda c: media.render_card(c, "x")])
def test_it_refuses_junk_bytes_as_an_image(call):
    with pytest.raises(MediaError):
        call(JUNK)
    with pytest.raises(MediaError):
        call(b"")


def test_it_refuses_a_truncated_image():
    whole = encode(Image.effect_noise((1200, 1600), 50).convert("RGB"), "JPEG")

    for call in (media.normalize_card, media.probe_image):
        with pytest.raises(MediaError):
            call(whole[: len(whole) // 2])


def test_it_refuses_a_decompression_bomb_header():
    bomb = png_header(30_000, 30_000)

    for call in (media.normalize_card, media.probe_image, lambda c: media.render_video(c, "x")):
        with pytest.raises(MediaError):
            call(bomb)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_it_refuses_an_image_just_over_the_pixel_limit():
    with pytest.raises(MediaError, match="too large"):
        media.probe_image(png_header(8000, 8000))  # 64 MP: over 60, under Pillow's own hard stop


def test_it_probes_the_displayed_size_of_a_rotated_photo():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    photo = encode(Image.new("RGB", (800, 600)), "JPEG", exif=exif)

    assert media.probe_image(photo) == ("JPEG", 600, 800)


def test_it_applies_the_exif_orientation():
    stored = Image.new("RGB", (800, 600), (220, 30, 30))
    stored.paste((30, 30, 220), (400, 0, 800, 600))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show: left half on top

    image = opened(media.normalize_card(encode(stored, "JPEG", exif=exif)))

    assert near(image.getpixel((600, 200)), (220, 30, 30), tolerance=20)
    assert near(image.getpixel((600, 1400)), (30, 30, 220), tolerance=20)


def test_it_renders_a_card_with_a_cyrillic_title():
    photo = encode(product((1000, 1300), "RGBA"))

    card = media.render_card(photo, "Кружка керамическая\nвторая строка не попадает в заголовок")
    other = media.render_card(photo, "Щётка для обуви")

    assert media.probe_image(card) == ("JPEG", *CARD_SIZE)
    title_area = (0, CARD_SIZE[1] - 320, CARD_SIZE[0], CARD_SIZE[1])
    # Missing glyphs would render both titles as the same row of boxes.
    assert opened(card).crop(title_area).tobytes() != opened(other).crop(title_area).tobytes()


def test_it_renders_the_same_card_for_the_same_input():
    photo = encode(product((700, 700)), "JPEG")

    assert media.render_card(photo, "Товар") == media.render_card(photo, "Товар")


def test_it_picks_the_background_by_template():
    photo = encode(product((700, 700)), "JPEG")

    studio = opened(media.render_card(photo, "Товар"))
    lifestyle = opened(media.render_card(photo, "Товар", template="lifestyle"))
    unknown = media.render_card(photo, "Товар", template="no-such-template")

    assert not near(studio.getpixel((5, 1500)), lifestyle.getpixel((5, 1500)))
    assert unknown == media.render_card(photo, "Товар", template="studio")


def test_it_wraps_a_long_title_to_two_ellipsised_lines():
    font = media._font(64)
    text = "Увлажняющий крем для лица с гиалуроновой кислотой и экстрактом алоэ вера для всех типов кожи"

    lines = media._wrap(text, font, 1040)

    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert all(font.getlength(line) <= 1040 for line in lines)
    assert media._wrap("Сверхдлинноеслово" * 20, font, 1040)[0].endswith("…")
    assert media._wrap("", font, 1040) == []


def test_it_renders_a_portrait_h264_video():
    video = media.render_video(encode(product((1000, 1300), "RGBA")), "Увлажняющий крем для лица, 50 мл")

    codec, width, height, seconds = media.probe_video(video)
    assert (codec, width, height) == ("h264", *VIDEO_SIZE)
    assert seconds == pytest.approx(4.0, abs=0.1)
    assert len(video) < 20 * 1024 * 1024
    with av.open(io.BytesIO(video)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert video.find(b"moov") < video.find(b"mdat")  # faststart: playable while downloading


def test_it_renders_a_video_of_the_asked_length_without_a_title():
    video = media.render_video(encode(product((600, 400)), "JPEG"), "", seconds=1.5, fps=12)

    assert media.probe_video(video)[1:] == pytest.approx((*VIDEO_SIZE, 1.5), abs=0.1)


def test_it_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    photo = encode(product((600, 800)), "JPEG")

    media.render_video(photo, "Товар", seconds=0.5)
    monkeypatch.setattr(media, "_video_frame", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        media.render_video(photo, "Товар", seconds=0.5)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [JUNK, b"", encode(product((64, 64)))])
def test_it_refuses_what_is_not_a_video(content):
    with pytest.raises(MediaError):
        media.probe_video(content)


def test_it_refuses_a_truncated_video():
    video = media.render_video(encode(product((600, 800)), "JPEG"), "Товар", seconds=1)

    for cut in (2000, len(video) // 2, len(video) - 1):  # in the index, mid-way, the last byte
        with pytest.raises(MediaError):
            media.probe_video(video[:cut])
