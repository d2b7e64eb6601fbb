"""Where a result goes, and what it must be there: card formats per marketplace, video durations.

The numbers are the marketplaces' (docs/marketplaces.md): a card format names its output size, the
aspect the image model is asked for and the byte limit of the strictest marketplace it serves.
Durations are the video model's choices that the operator priced (settings.VIDEO_COSTS).
"""

from dataclasses import dataclass

from django.conf import settings

MB = 1024 * 1024


@dataclass(frozen=True)
class CardFormat:
    name: str
    size: tuple  # (width, height) of the JPEG we deliver
    aspect: str  # what nano-banana's `image_size` is asked for
    max_bytes: int


CARD_FORMATS = {
    # Wildberries and Ozon: 3:4, at least 900×1200; Ozon's templates ask for 10 MB at most.
    "wb_ozon": CardFormat("wb_ozon", (1200, 1600), "3:4", 10 * MB),
    # Yandex Market shows square and 3:4 cards; at least 600 px, opaque.
    "ym_square": CardFormat("ym_square", (1200, 1200), "1:1", 10 * MB),
    "ym_portrait": CardFormat("ym_portrait", (1200, 1600), "3:4", 10 * MB),
    # Stories and reels: 9:16 full screen.
    "stories": CardFormat("stories", (1080, 1920), "9:16", 10 * MB),
}
DEFAULT_CARD_FORMAT = "wb_ozon"
MAX_POINTS = 4  # selling points on an infographic or a cover, under its title

# Ozon's video cover (seller guides): 8–30 s, MP4, at most 20 MB, plays muted.
OZON_COVER_SECONDS = (8, 30)
OZON_COVER_MAX_BYTES = 20 * MB


def card_format(name):
    """The format called `name`, or the default one for a blank or unknown name (rows made before formats)."""
    return CARD_FORMATS.get(name or "", CARD_FORMATS[DEFAULT_CARD_FORMAT])


def video_durations():
    """The durations a seller may choose, shortest first: the priced ones (settings.VIDEO_COSTS)."""
    return sorted(settings.VIDEO_COSTS)


def default_video_seconds():
    return settings.KIE_VIDEO_SECONDS
