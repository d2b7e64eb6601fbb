"""Marketplace-ready media, made in memory: product-card JPEGs and short portrait MP4s.

What the outputs must fit is in docs/marketplaces.md: cards in their format's size (3:4 1200×1600 by
default), opaque JPEG under 10 MB; videos portrait H.264/yuv420p MP4. Video goes through PyAV, whose wheel
bundles FFmpeg with libx264, so no system ffmpeg is needed. Text is set in the bundled Noto Sans (fonts/).
"""

import contextlib
import functools
import io
import logging
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageFont, ImageOps, ImageStat

logger = logging.getLogger(__name__)

CARD_SIZE = (1200, 1600)  # 3:4
VIDEO_SIZE = (720, 1280)  # 9:16 portrait for the offline video
MAX_CARD_BYTES = 10 * 1024 * 1024
MAX_INPUT_PIXELS = 60_000_000  # a 20 MB phone photo is ~50 MP at most; more is a decompression bomb

# Process-wide on purpose: every image this process decodes came from a user or a provider.
Image.MAX_IMAGE_PIXELS = MAX_INPUT_PIXELS

# No EPS/PSD/…: fewer decoders exposed to untrusted bytes (Pillow's EPS would even run Ghostscript).
_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
_JPEG_QUALITIES = (92, 86, 80, 72, 64, 55)
_MIN_KEPT_BY_CROP = 0.9  # crop to 3:4 when that keeps 90% of the picture, else pad
_SRGB = ImageCms.createProfile("sRGB")

_CARD_MARGIN = 80
_CARD_TITLE_SHARE = 0.2  # of the card's height: the title band at the bottom (320 px at 1600)
_CARD_CALM_SHARE = 0.42  # untitled (infographic) scenes: room at the bottom for the panel (generations.cards)
_CARD_FONT_SHARE = 64 / 1200  # of the card's width
_CARD_BACKGROUNDS = {  # (top, bottom) of a vertical gradient
    "studio": ((250, 250, 252), (220, 224, 231)),
    "lifestyle": ((252, 238, 218), (222, 184, 146)),
}
_CARD_INK = (33, 33, 38)
_SHADOW_OPACITY = 0.35

_ZOOM = 1.12  # Ken Burns: 12% over the clip reads as motion yet keeps the whole product in view
# The scene is drawn this much larger so the most zoomed frame is still 1:1, never upscaled.
_SCENE_SIZE = tuple(round(side * _ZOOM / 2) * 2 for side in VIDEO_SIZE)
_VIDEO_BAND = (1000, 200)  # top, height of the title band in output pixels (even: chroma is halved)
_VIDEO_FONT_SIZE = 50
# Measured on 4 s clips: ultrafast ~3x the bytes of superfast for little less CPU; veryfast ~1/3 the
# bytes for ~25% more CPU. Sizes are far under the marketplaces' 20 MB either way, so: superfast.
_X264_OPTIONS = {"preset": "superfast", "crf": "23"}
_BT709 = 1  # FFmpeg's code for BT.709 primaries, transfer and matrix alike


class MediaError(Exception):
    """The content is not a readable image or video (or is too large to decode safely)."""


@contextlib.contextmanager
def _decoding(kind):
    # Decoders fail on bad bytes with a zoo of exception types (Pillow plugins raise SyntaxError,
    # struct.error, …; FFmpeg its own tree): callers get one.
    try:
        yield
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"not a readable {kind}: {exc}") from exc


def _open_image(content):
    """The image with only its header read; MediaError when it would decode to too many pixels."""
    image = Image.open(io.BytesIO(content), formats=_IMAGE_FORMATS)
    if image.width * image.height > MAX_INPUT_PIXELS:
        raise MediaError(f"image too large: {image.width}×{image.height}")
    return image


def _load_image(content, need):
    """Upright sRGB image (RGBA if it has transparency, else RGB) whose sides stay at least `need`."""
    with _decoding("image"):
        image = _open_image(content)
        image.draft("RGB", (need, need))  # JPEG decodes at 1/2…1/8 scale when that is still enough
        image.load()
        factor = min(image.size) // need
        if factor >= 2:  # a cheap box reduce first keeps the later Lanczos resize fast on big photos
            image = image.reduce(factor)
        ImageOps.exif_transpose(image, in_place=True)
        return _to_srgb(image)


def _to_srgb(image):
    mode = "RGBA" if image.has_transparency_data else "RGB"
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: Pillow would clip, not scale
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode not in ("RGB", "RGBA", "CMYK"):
        image = image.convert(mode)
    icc = image.info.get("icc_profile")
    if icc:
        # A broken or mismatched profile (a grey one on an expanded image) is ignored: assume sRGB.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    return image.convert(mode)


def _flatten(image):
    if image.mode != "RGBA":
        return image
    canvas = Image.new("RGB", image.size, (255, 255, 255))
    canvas.paste(image, mask=image.getchannel("A"))
    return canvas


def _edge_colour(image):
    thumb = image.resize((32, 32), Image.Resampling.BOX)
    border = Image.new("L", thumb.size, 255)
    border.paste(0, (1, 1, 31, 31))
    return tuple(round(channel) for channel in ImageStat.Stat(thumb, border).mean)


def _kept_by_crop(size, target):
    ratio = (size[0] / size[1]) / (target[0] / target[1])
    return min(ratio, 1 / ratio)


def encode_jpeg(image, max_bytes=None):
    """An opaque RGB image -> JPEG bytes under `max_bytes` (at most MAX_CARD_BYTES), quality stepped down to fit."""
    limit = min(max_bytes or MAX_CARD_BYTES, MAX_CARD_BYTES)
    for quality in _JPEG_QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() < limit:
            return buffer.getvalue()
    raise MediaError(f"cannot fit the image under {limit} bytes")


def fit_card(content: bytes, size=CARD_SIZE):
    """Any image a provider returns -> an opaque sRGB RGB image of exactly `size` (see normalize_card)."""
    image = _flatten(_load_image(content, max(size)))
    if _kept_by_crop(image.size, size) >= _MIN_KEPT_BY_CROP:
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    return ImageOps.pad(image, size, Image.Resampling.LANCZOS, color=_edge_colour(image))


def normalize_card(content: bytes, size=CARD_SIZE, max_bytes=None) -> bytes:
    """Any image a provider returns -> an opaque `size` (3:4 CARD_SIZE by default) sRGB JPEG under
    `max_bytes` (at most MAX_CARD_BYTES).

    Alpha is flattened on white; a picture near the size's ratio is centre-cropped, a far-off one padded with
    the colour of its edges so the product is never cut; small pictures (nano-banana's 864×1184) upscale.
    """
    return encode_jpeg(fit_card(content, size), max_bytes)


FONTS = Path(__file__).resolve().parent / "fonts"  # Noto Sans (OFL), shipped: renders never depend on the system


@functools.lru_cache(maxsize=32)
def _font(size, bold=True):
    """The project's Cyrillic font (Noto Sans, bold by default) at `size` px."""
    path = FONTS / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")
    try:
        # BASIC layout: Cyrillic needs no shaping, and it renders the same with or without libraqm.
        return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        logger.error("The bundled font %s is missing or unreadable: falling back to system fonts", path)
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "NotoSans-Bold.ttf", "LiberationSans-Bold.ttf"):
        with contextlib.suppress(OSError):
            font = ImageFont.truetype(name, size, layout_engine=ImageFont.Layout.BASIC)
            if _has_cyrillic(font):
                return font
    logger.error("No TrueType font with Cyrillic found: titles will show boxes")
    return ImageFont.load_default(size)


def _has_cyrillic(font):
    # A missing glyph renders as .notdef, the same as a code point no font maps.
    return bytes(font.getmask("Ж")) != bytes(font.getmask("\uffff"))


def _title_of(text):
    return next((" ".join(line.split()) for line in text.splitlines() if line.strip()), "")


def _wrap(text, font, width, max_lines=2):
    """Greedy word wrap into at most max_lines lines, the last ellipsised when the text overflows."""
    words = text[:200].split()  # two lines hold far fewer characters; this bounds the work
    overflow = len(text) > 200
    lines = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    cut = len(lines) - 1 if words or overflow else None
    return [
        _ellipsise(line, font, width) if i == cut or font.getlength(line) > width else line
        for i, line in enumerate(lines)
    ]


def _ellipsise(line, font, width):
    while line and font.getlength(line + "…") > width:
        line = line[:-1].rstrip()
    return line + "…"


def _draw_lines(image, lines, font, fill, top, bottom):
    """Lines centred horizontally, and as a block vertically between top and bottom."""
    line_height = round(font.size * 1.25)
    y = top + (bottom - top - line_height * len(lines)) // 2
    draw = ImageDraw.Draw(image)
    for line in lines:
        draw.text((image.width // 2, y), line, font=font, fill=fill, anchor="ma")
        y += line_height


def _gradient(size, top, bottom):
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return ImageOps.colorize(ramp, top, bottom)


def _paste_with_shadow(canvas, picture, origin):
    alpha = picture.getchannel("A") if picture.mode == "RGBA" else Image.new("L", picture.size, 255)
    blur = max(8, max(picture.size) // 40)
    pad = blur * 3
    shadow = Image.new("L", (picture.width + 2 * pad, picture.height + 2 * pad))
    shadow.paste(alpha.point(lambda a: round(a * _SHADOW_OPACITY)), (pad, pad))
    shadow = shadow.filter(ImageFilter.GaussianBlur(blur))
    x, y = origin
    canvas.paste((0, 0, 0), (x - pad, y - pad + blur // 2), shadow)
    canvas.paste(picture.convert("RGB"), origin, alpha)


def render_card(photo: bytes, description: str, *, template: str = "studio", size=CARD_SIZE) -> bytes:
    """The offline provider's card of `size`: the photo with a soft shadow on a template background, and the
    first line of the description as a title (at most 2 lines) in a band at the bottom; with no title, a taller
    empty band: calm space where the infographic's text goes. Deterministic."""
    width, height = size
    top, bottom = _CARD_BACKGROUNDS.get(template, _CARD_BACKGROUNDS["studio"])
    card = _gradient(size, top, bottom)
    title = _title_of(description)
    band = round(height * (_CARD_TITLE_SHARE if title else _CARD_CALM_SHARE))
    box = (width - 2 * _CARD_MARGIN, height - _CARD_MARGIN - band)
    picture = ImageOps.contain(_load_image(photo, max(box)), box, Image.Resampling.LANCZOS)
    origin = (_CARD_MARGIN + (box[0] - picture.width) // 2, _CARD_MARGIN + (box[1] - picture.height) // 2)
    _paste_with_shadow(card, picture, origin)
    font = _font(round(width * _CARD_FONT_SHARE))
    lines = _wrap(title, font, width - 2 * _CARD_MARGIN)
    _draw_lines(card, lines, font, _CARD_INK, height - band, height - _CARD_MARGIN // 2)
    return encode_jpeg(card)


def _video_scene(photo):
    """The photo sharp in the upper part, over a blurred, lightened copy of itself, at _SCENE_SIZE."""
    width, height = _SCENE_SIZE
    small = ImageOps.fit(_flatten(photo), (width // 8, height // 8), Image.Resampling.BOX)
    backdrop = small.filter(ImageFilter.GaussianBlur(6)).resize(_SCENE_SIZE, Image.Resampling.BILINEAR)
    scene = Image.blend(backdrop, Image.new("RGB", _SCENE_SIZE, (255, 255, 255)), 0.35)
    box = (round(width * 0.84), round(_VIDEO_BAND[0] * _ZOOM * 0.92))
    picture = ImageOps.contain(photo, box, Image.Resampling.LANCZOS)
    origin = ((width - picture.width) // 2, round(height * 0.05) + (box[1] - picture.height) // 2)
    _paste_with_shadow(scene, picture, origin)
    return scene


def yuv_planes(image):
    """The Y, U and V planes (BT.709, limited range, 4:2:0) of an RGB image, as greyscale images."""
    frame = av.VideoFrame.from_image(image).reformat(format="yuv420p", dst_colorspace=_BT709)
    return [Image.frombuffer("L", (p.width, p.height), bytes(p), "raw", "L", p.line_size, 1) for p in frame.planes]


def _title_overlay(title):
    """(plane, mask, top) for Y, U and V: a translucent band with the title, or [] for no title."""
    lines = _wrap(_title_of(title), _font(_VIDEO_FONT_SIZE), VIDEO_SIZE[0] - 80)
    if not lines:
        return []
    top, height = _VIDEO_BAND
    band = Image.new("RGBA", (VIDEO_SIZE[0], height), (20, 20, 24, 150))
    _draw_lines(band, lines, _font(_VIDEO_FONT_SIZE), (255, 255, 255, 255), 0, height)
    planes = yuv_planes(band.convert("RGB"))
    alpha = band.getchannel("A")
    chroma_alpha = alpha.resize(planes[1].size, Image.Resampling.BOX)
    return list(zip(planes, [alpha, chroma_alpha, chroma_alpha], [top, top // 2, top // 2], strict=True))


def _zoomed(plane, zoom, size):
    width, height = plane.width / zoom, plane.height / zoom
    left, top = (plane.width - width) / 2, (plane.height - height) / 2
    return plane.resize(size, Image.Resampling.BILINEAR, box=(left, top, left + width, top + height))


def _video_frame(scene, zoom, overlay):
    sizes = [VIDEO_SIZE] + [(VIDEO_SIZE[0] // 2, VIDEO_SIZE[1] // 2)] * 2
    planes = [_zoomed(plane, zoom, size) for plane, size in zip(scene, sizes, strict=True)]
    for plane, (band, mask, top) in zip(planes, overlay, strict=False):  # no title: no overlay
        plane.paste(band, (0, top), mask)
    frame = av.VideoFrame(*VIDEO_SIZE, "yuv420p")
    for target, plane in zip(frame.planes, planes, strict=True):
        # FFmpeg pads rows to its alignment; cropping past the right edge pads them the same way.
        target.update(plane.crop((0, 0, target.line_size, plane.height)).tobytes())
    return frame


def encode_h264(frames, fps, *, size=VIDEO_SIZE, options=None):
    """An H.264 yuv420p MP4 (BT.709, faststart) of `size` from the yuv420p frames; `options` are x264's."""
    # faststart (index first, so phones start playing while downloading) reopens the output by
    # name, so FFmpeg needs a real file; NamedTemporaryFile removes it however this ends.
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        muxer = {"movflags": "+faststart"}
        with av.open(file.name, mode="w", format="mp4", container_options=muxer) as output:
            stream = output.add_stream("libx264", rate=fps, options=options or _X264_OPTIONS)
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            context = stream.codec_context
            # PyAV's default slice threads make every encode() block; with frame threads x264
            # encodes on the other core while the next frame is being drawn.
            context.thread_type = "FRAME"
            context.colorspace = context.color_primaries = context.color_trc = _BT709
            context.color_range = 1  # limited ("TV") range, what swscale produced
            for frame in frames:
                output.mux(stream.encode(frame))
            output.mux(stream.encode())
        return file.read()


def render_video(photo: bytes, title: str, *, seconds: float = 4.0, fps: int = 24) -> bytes:
    """The offline provider's video: a VIDEO_SIZE portrait H.264 MP4 of the photo slowly zooming in
    (Ken Burns, eased), with the title on a band near the bottom from the first frame on."""
    scene = yuv_planes(_video_scene(_load_image(photo, max(_SCENE_SIZE))))
    overlay = _title_overlay(title)
    count = max(1, round(seconds * fps))
    eased = (t * t * (3 - 2 * t) for t in (i / max(count - 1, 1) for i in range(count)))
    return encode_h264((_video_frame(scene, 1 + (_ZOOM - 1) * e, overlay) for e in eased), fps)


def probe_image(content: bytes) -> tuple[str, int, int]:
    """(format, width, height) as displayed, i.e. after EXIF rotation; MediaError if unreadable."""
    with _decoding("image"):
        image = _open_image(content)
        fmt, (width, height) = image.format, image.size
        if image.getexif().get(0x0112) in (5, 6, 7, 8):  # orientations that swap the sides
            width, height = height, width
        image.draft("RGB", (64, 64))
        image.load()  # a full (if reduced) decode is what catches truncated files
    return fmt, width, height


def probe_video(content: bytes) -> tuple[str, int, int, float]:
    """(codec, width, height, seconds) of the first video stream of an MP4/MOV; MediaError if unreadable.

    The demuxer is fixed to MP4/MOV (all the marketplaces take) so FFmpeg's format sniffing cannot pick
    a playlist demuxer (HLS, concat) that would open other files or URLs named in the bytes.
    """
    with _decoding("video"), av.open(io.BytesIO(content), mode="r", format="mp4") as container:
        if not container.streams.video:
            raise MediaError("no video stream")
        stream = container.streams.video[0]
        # Demuxing is cheap in memory and is what notices a cut-off download: packets go missing.
        packets = [packet for packet in container.demux(stream) if packet.size]
        if len(packets) < max(stream.frames, 1) or any(packet.is_corrupt for packet in packets):
            raise MediaError("truncated video")
        if not stream.codec_context.decode(packets[0]) + stream.codec_context.decode(None):
            raise MediaError("no decodable video frame")
        if stream.duration:
            seconds = float(stream.duration * stream.time_base)
        else:
            seconds = (container.duration or 0) / av.time_base
        return stream.codec_context.name, stream.width, stream.height, seconds
