"""The «Видеообложка Ozon»: the provider's video made into a cover Ozon takes, with the product's title
and selling points burned into its first seconds.

Ozon (docs/marketplaces.md) plays a cover muted and looped, shows only its first 8 s in the catalog and
the first frame while it loads, and takes 8–30 s MP4 of at most 20 MB. So the text is on screen from
the first frame (no fade-in) until SHOWN_SECONDS, then fades out; a short clip is looped to 8 s, a long
one cut at 30 s; the audio is dropped (nobody hears it in the catalog, and a looped or cut soundtrack
would click); the bytes are checked against the limit and re-encoded smaller when over.

Frames are streamed from the decoder to the encoder, one at a time: memory stays a few frames whatever
the length. The text is blended into the decoded Y, U and V planes inside the panel only, so the rest
of the picture is the provider's, untouched by a colour conversion.
"""

import io
import math
from dataclasses import dataclass
from fractions import Fraction

import av
from PIL import Image, ImageDraw

from generations import formats, media
from generations.media import MediaError

SHOWN_SECONDS = 4.5  # the text at full strength: read muted, well inside the catalog's 8 s
FADE_SECONDS = 0.5
FPS_RANGE = (24, 30)  # Sora makes 30 fps; a slower source is repeated up to 24, a faster one thinned
LONG_SIDE_RANGE = (1280, 1920)  # Ozon asks 1080–1920 px of product videos; Sora's portrait is 720×1280
MAX_SOURCE_SIDE = 4096  # a bigger frame is not a provider's video: refuse it rather than decode it
MAX_SOURCE_FPS = 120
SAFE_ASPECT = 3 / 4  # Ozon crops a cover differently in the app and on the site: keep text in the 3:4 middle
MAX_PANEL_SHARE = 0.5  # of the safe area's height: the product stays in view above the text
# Quality first: CRF alone, a little higher for a longer clip; over the limit, the same CRF raised under a
# VBV cap taken from the byte budget, then tighter. (added CRF, share of the budget's bit rate or None)
ATTEMPTS = ((0, None), (4, 0.8), (8, 0.5))

# (type scale, lines per point) tried in turn until the panel fits: smaller type first, then one line a
# point; the last always fits (type and panel both scale with the width, the safe area is 4:3 of it).
_STEPS = ((1, 2), (0.9, 2), (0.8, 2), (0.7, 2), (0.7, 1), (0.6, 1))
_PANEL = (16, 16, 20, 180)  # near-black at 70%: white text reads on snow and on night alike
_TITLE_INK = (255, 255, 255, 255)
_POINT_INK = (240, 240, 240, 255)
_BULLET_INK = (255, 196, 40, 255)


@dataclass(frozen=True)
class Layout:
    box: tuple  # (left, top, right, bottom) of the panel in the frame, every side even
    panel: Image.Image  # RGBA, the panel's size


def make_cover(content, *, title, points=()):
    """The provider's MP4 `content` -> an Ozon cover MP4 with `title` and `points` over its first seconds.

    Raises MediaError for a source that is not a usable video, or a cover that can't be made to fit
    formats.OZON_COVER_MAX_BYTES.
    """
    _, width, height, seconds = media.probe_video(content)
    if max(width, height) > MAX_SOURCE_SIDE:
        raise MediaError(f"video too large: {width}×{height}")
    size = output_size(width, height)
    fps = _output_fps(content)
    low, high = formats.OZON_COVER_SECONDS
    count = math.ceil(min(max(seconds, low), high) * fps)
    overlay = _overlay_planes(layout(size, title, points[: formats.MAX_POINTS]))
    limit = formats.OZON_COVER_MAX_BYTES
    for options in _attempts(count / fps, limit):
        video = media.encode_h264(_frames(content, size, fps, count, overlay), fps, size=size, options=options)
        if len(video) <= limit:
            return video
    raise MediaError(f"cannot fit the cover under {limit} bytes ({len(video)} at the smallest)")


def output_size(width, height):
    """The source's shape with its long side in LONG_SIDE_RANGE, both sides even (4:2:0 halves them)."""
    low, high = LONG_SIDE_RANGE
    scale = min(max(max(width, height), low), high) / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def safe_area(size):
    """(left, top, right, bottom): the largest centred 3:4 region, inset by a margin of 5% of its width."""
    width, height = size
    safe_width, safe_height = min(width, height * SAFE_ASPECT), min(height, width / SAFE_ASPECT)
    margin = safe_width * 0.05
    left, top = (width - safe_width) / 2 + margin, (height - safe_height) / 2 + margin
    return (
        _even(left),
        _even(top),
        _even(left + safe_width - 2 * margin, down=True),
        _even(top + safe_height - 2 * margin, down=True),
    )


def layout(size, title, points):
    """The contrast panel with the title (at most 2 lines) and up to MAX_POINTS points (2 lines each), at the
    bottom of the safe area; the type shrinks until it takes at most MAX_PANEL_SHARE of that area's height.
    None when there is neither a title nor a point."""
    left, top, right, bottom = safe_area(size)
    width = right - left
    title = " ".join(title.split())
    points = [" ".join(point.split()) for point in points if point.strip()][: formats.MAX_POINTS]
    if not title and not points:
        return None
    for scale, point_lines in _STEPS:
        panel = _panel(width, title, points, scale, point_lines)
        if panel.height <= (bottom - top) * MAX_PANEL_SHARE:
            break
    return Layout((left, bottom - panel.height, right, bottom), panel)


def _panel(width, title, points, scale, point_lines):
    pad = _even(width / 22)
    title_font = media._font(round(width / 13 * scale))
    point_font = media._font(round(width / 19 * scale))
    text_width = width - 2 * pad
    bullet = "•  "
    indent = round(point_font.getlength(bullet))
    title_lines = media._wrap(title, title_font, text_width) if title else []
    point_lines = [media._wrap(point, point_font, text_width - indent, max_lines=point_lines) for point in points]
    title_step, point_step = round(title_font.size * 1.2), round(point_font.size * 1.25)
    gap = point_font.size // 2
    height = 2 * pad + title_step * len(title_lines) + point_step * sum(map(len, point_lines))
    height += gap * (len(point_lines) - 1 + bool(title_lines and point_lines))
    panel = Image.new("RGBA", (width, _even(height)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rounded_rectangle((0, 0, panel.width - 1, panel.height - 1), radius=pad, fill=_PANEL)
    y = pad
    for line in title_lines:
        draw.text((pad, y), line, font=title_font, fill=_TITLE_INK)
        y += title_step
    y += gap if title_lines and point_lines else 0
    for lines in point_lines:
        draw.text((pad, y), bullet, font=point_font, fill=_BULLET_INK)
        for line in lines:
            draw.text((pad + indent, y), line, font=point_font, fill=_POINT_INK)
            y += point_step
        y += gap
    return panel


def _even(value, down=False):
    return int(value // 2 * 2) if down else int(math.ceil(value / 2) * 2)


def _overlay_planes(layout):
    """[(plane, mask, (x, y))] for Y, U and V of the panel, or [] when there is nothing to show."""
    if layout is None:
        return []
    planes = media.yuv_planes(layout.panel.convert("RGB"))
    alpha = layout.panel.getchannel("A")
    chroma = alpha.resize(planes[1].size, Image.Resampling.BOX)
    left, top = layout.box[:2]
    origins = [(left, top), (left // 2, top // 2), (left // 2, top // 2)]
    return list(zip(planes, [alpha, chroma, chroma], origins, strict=True))


def _strength(time):
    """How much of the text shows at `time` s: fully until SHOWN_SECONDS, then a linear fade to nothing."""
    return min(max((SHOWN_SECONDS + FADE_SECONDS - time) / FADE_SECONDS, 0.0), 1.0)


def _burn(frame, overlay, strength):
    """A new yuv420p frame: `frame` with the panel blended in at `strength` (0–1)."""
    burnt = av.VideoFrame(frame.width, frame.height, "yuv420p")
    for source, target, (part, mask, origin) in zip(frame.planes, burnt.planes, overlay, strict=True):
        plane = Image.frombuffer("L", (source.width, source.height), bytes(source), "raw", "L", source.line_size, 1)
        plane = plane.copy()  # frombuffer over bytes is read-only
        plane.paste(part, origin, mask if strength >= 1 else mask.point(lambda a: round(a * strength)))
        # FFmpeg pads rows to its alignment; cropping past the right edge pads them the same way.
        target.update(plane.crop((0, 0, target.line_size, plane.height)).tobytes())
    return burnt


def _open(content):
    # The demuxer is fixed to MP4/MOV, as in media.probe_video: no sniffing into playlist demuxers.
    return av.open(io.BytesIO(content), mode="r", format="mp4")


def _output_fps(content):
    with media._decoding("video"), _open(content) as container:
        rate = container.streams.video[0].average_rate or container.streams.video[0].guessed_rate
    if rate and float(rate) > MAX_SOURCE_FPS:
        raise MediaError(f"video frame rate too high: {float(rate):.0f}")
    low, high = FPS_RANGE
    return min(max(round(float(rate or low)), low), high)


def _frames(content, size, fps, count, overlay):
    """`count` frames at `fps` of the source scaled to `size`, from its start again until there are enough,
    each showing the source frame due at its time; the panel burnt into those of the first seconds."""
    index = 0
    with media._decoding("video"):
        while index < count:
            start = index
            with _open(content) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                first = shown = last = None
                frame_seconds = 1 / float(stream.average_rate or fps)
                for frame in container.decode(stream):
                    frame = frame.reformat(width=size[0], height=size[1], format="yuv420p")
                    # A frame without a timestamp follows the one before it.
                    at = float(frame.time) if frame.time is not None else (last + frame_seconds if shown else 0.0)
                    first = at if first is None else first
                    # Every output frame due before this source frame shows the one before it (counted in
                    # whole frames: float sums of times would drift a frame a loop).
                    due = start + round((at - first) * fps)
                    while shown is not None and index < count and index < due:
                        yield _stamped(shown, index, fps, overlay)
                        index += 1
                    shown, last = frame, at
                    if index >= count:
                        return
                if shown is None:
                    raise MediaError("no decodable video frame")
                # The last source frame lasts its frame duration (at least one output frame): then loop.
                end = start + max(round((last - first + frame_seconds) * fps), 1)
                while index < count and index < end:
                    yield _stamped(shown, index, fps, overlay)
                    index += 1


def _stamped(frame, index, fps, overlay):
    strength = _strength(index / fps) if overlay else 0
    out = _burn(frame, overlay, strength) if strength > 0 else frame
    out.pts, out.time_base = index, Fraction(1, fps)
    return out


def _attempts(seconds, limit):
    """x264 options to try in turn: CRF by the duration, then under VBV caps taken from the byte budget."""
    base = 23 if seconds <= 15 else 25  # a longer clip has more to fit in the same 20 MB
    budget = limit * 8 / seconds  # bits per second that fill the limit exactly
    for extra, share in ATTEMPTS:
        options = {"preset": "superfast", "crf": str(base + extra)}
        if share is not None:
            rate = int(budget * share)
            options.update({"maxrate": str(rate), "bufsize": str(rate)})
        yield options
