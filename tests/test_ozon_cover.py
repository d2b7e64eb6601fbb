"""«Видеообложка Ozon»: the provider's video made into an 8–30 s MP4 under 20 MB, the title and the points
burned into its first seconds, a sharp first frame."""

import functools
import io
from fractions import Fraction

import av
import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from generations import cover, formats, media, pipeline
from tests.factories import make_user, place_order, product_photo

TITLE = "Керамическая кружка ручной работы, 350 мл"
POINTS = ["Держит тепло до двух часов", "Можно мыть в посудомоечной машине", "Подарочная коробка"]


@functools.cache
def short_clip():
    """The offline provider's kind of clip, 3 s: shorter than Ozon's 8."""
    return media.render_video(product_photo(), "", seconds=3, fps=24)


@functools.cache
def short_cover():
    return cover.make_cover(short_clip(), title=TITLE, points=POINTS)


def frames(video, indices):
    """{index: RGB image} of the decoded frames at those indices."""
    wanted, found = set(indices), {}
    with av.open(io.BytesIO(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                found[index] = frame.to_image()
            if len(found) == len(wanted):
                break
    return found


def mean(image):
    return sum(ImageStat.Stat(image.convert("L")).mean)


def difference(first, second, box):
    return mean(ImageChops.difference(first.crop(box), second.crop(box)))


def edges(image):
    return mean(image.convert("L").filter(ImageFilter.FIND_EDGES))


def check_cover(video):
    codec, width, height, seconds = media.probe_video(video)
    low, high = formats.OZON_COVER_SECONDS
    assert codec == "h264" and low <= seconds <= high and len(video) <= formats.OZON_COVER_MAX_BYTES
    with av.open(io.BytesIO(video)) as container:
        assert container.format.name.startswith("mov,mp4")
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert not container.streams.audio  # Ozon plays covers muted: the sound is dropped
    assert video.find(b"moov") < video.find(b"mdat")  # faststart
    return width, height, seconds


def test_it_makes_a_valid_cover_of_at_least_8_seconds_from_a_short_clip():
    width, height, seconds = check_cover(short_cover())

    assert (width, height) == (720, 1280) and seconds == pytest.approx(8, abs=0.1)


def test_it_burns_the_text_into_a_sharp_first_frame_and_takes_it_away_later():
    video, source = short_cover(), short_clip()
    box = cover.layout((720, 1280), TITLE, POINTS).box
    # 24 fps: frame 0 opens the cover; 48 (2 s) is mid-text; 144 (6 s) is after the fade-out, and, the 3 s
    # clip looping, shows the clip's first frame again.
    made, original = frames(video, [0, 48, 144]), frames(source, [0])[0]

    first = made[0]
    assert difference(first, original, box) > 40  # the text box is not the source's picture
    panel = first.crop(box).convert("L")
    assert mean(panel) < mean(original.crop(box)) - 60  # a dark contrast panel over the light footage
    text = sum(panel.histogram()[200:]) / (panel.width * panel.height)
    assert 0.03 < text < 0.5  # light letters on it
    # Full strength from the very first frame (no fade-in), as sharp as the source outside the box.
    assert difference(first, made[48], box) < 12
    assert edges(first) > 0.9 * edges(original)
    assert difference(made[144], original, box) < 4


def test_it_keeps_the_panel_inside_the_safe_area_of_every_shape():
    long = ["Сверхпрочнаятермостойкаякерамикапремиальногокачества"] + ["Очень длинный пункт " * 6] * 5
    for size in [(720, 1280), (1080, 1920), (1280, 720), (1080, 1080), (732, 1280)]:
        left, top, right, bottom = cover.safe_area(size)
        layout = cover.layout(size, TITLE * 3, long)

        x0, y0, x1, y1 = layout.box
        assert left <= x0 < x1 <= right and top <= y0 < y1 <= bottom, size
        # Within the middle 3:4 of the frame, which Ozon shows however it crops, with a margin.
        middle = min(size[0], size[1] * 3 / 4), min(size[1], size[0] * 4 / 3)
        assert left >= (size[0] - middle[0]) / 2 + 0.04 * middle[0] and right <= size[0] - left + 2
        assert top >= (size[1] - middle[1]) / 2 + 0.04 * middle[0] and bottom <= size[1] - top + 2
        assert layout.panel.size == (x1 - x0, y1 - y0) and all(side % 2 == 0 for side in layout.box)
        assert y1 - y0 <= (bottom - top) * cover.MAX_PANEL_SHARE
        # Long words and lines are cut to fit: no letter reaches the panel's edge.
        inside = layout.panel.convert("RGB").convert("L")
        for edge in [(0, 0, 8, inside.height), (inside.width - 8, 0, inside.width, inside.height)]:
            assert inside.crop(edge).getextrema()[1] < 100, size
    assert cover.layout((720, 1280), "", []) is None


def test_it_re_encodes_smaller_when_over_the_limit(monkeypatch):
    attempts = []
    encode = media.encode_h264

    def counted(*args, **kwargs):
        attempts.append(encode(*args, **kwargs))
        return attempts[-1]

    limit = len(short_cover()) * 6 // 10
    monkeypatch.setattr(formats, "OZON_COVER_MAX_BYTES", limit)
    monkeypatch.setattr(media, "encode_h264", counted)

    video = cover.make_cover(short_clip(), title=TITLE, points=POINTS)

    assert len(attempts) == 2 and len(attempts[0]) > limit and video == attempts[1]
    check_cover(video)


def test_it_refuses_a_cover_that_cannot_fit(monkeypatch):
    monkeypatch.setattr(formats, "OZON_COVER_MAX_BYTES", 5000)

    with pytest.raises(media.MediaError, match="cannot fit"):
        cover.make_cover(short_clip(), title=TITLE, points=POINTS)


def long_clip_with_sound(seconds=31, fps=24):
    """A small H.264 clip with an AAC track, longer than Ozon's 30 s."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        video = output.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 90, 160, "yuv420p"
        audio = output.add_stream("aac", rate=48000, layout="mono")
        for index in range(seconds * fps):
            picture = Image.new("RGB", (90, 160), (index % 250, 120, 200 - index % 200))
            output.mux(video.encode(av.VideoFrame.from_image(picture).reformat(format="yuv420p")))
        output.mux(video.encode())
        for index in range(seconds * 48000 // 1024):
            sound = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            sound.planes[0].update(bytes(4096))
            sound.sample_rate, sound.pts, sound.time_base = 48000, index * 1024, Fraction(1, 48000)
            output.mux(audio.encode(sound))
        output.mux(audio.encode())
    return buffer.getvalue()


def test_it_cuts_a_long_source_at_30_seconds_and_drops_its_sound():
    source = long_clip_with_sound()
    with av.open(io.BytesIO(source)) as container:
        assert container.streams.audio

    width, height, seconds = check_cover(cover.make_cover(source, title=TITLE, points=POINTS))

    assert (width, height) == (720, 1280) and seconds == pytest.approx(30, abs=0.1)


@pytest.mark.parametrize("content", [b"", b"<html>not a video</html>", b"\x00" * 4096])
def test_it_refuses_what_is_not_a_video(content):
    with pytest.raises(media.MediaError):
        cover.make_cover(content, title=TITLE, points=POINTS)


@pytest.mark.django_db
def test_it_delivers_an_ozon_cover_through_the_pipeline(workers):
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, template="ozon_cover", title="Кружка", points=POINTS)
    (generation,) = order.generations

    assert pipeline.submit(generation_id=generation.pk) == "processing"
    generation.refresh_from_db()
    assert pipeline.poll(generation) == "success"

    generation.refresh_from_db()
    assert generation.status == "completed" and generation.result_file.name.endswith(".mp4")
    with generation.result_file.open("rb") as file:
        video = file.read()
    # The fake KIE's video is 1 s at 64×112: the cover loops it to 8 s, at a size the text reads at.
    assert check_cover(video) == (732, 1280, pytest.approx(8, abs=0.1))
    system = workers.openai.requests("/chat/completions")[0].params["messages"][0]["content"]
    assert "video cover on Ozon" in system and "muted and looped" in system
    assert len(workers.telegram.requests("sendVideo")) == 1
