"""A downloaded result made into what the seller ordered: checked, sized for its format, finished by us.

The bytes are what they claim only once they decode as such: text or HTML is never stored as "the video".
Raises media.MediaError for content that is not a usable result (the pipeline retries, then fails it).
"""

from generations import formats, media
from generations.models import Generation


def prepare(generation, content):
    """(bytes, file extension) to store for this generation's downloaded result."""
    if generation.kind == Generation.Kind.IMAGE:
        return prepare_card(generation, content), "jpg"
    return prepare_video(generation, content), "mp4"


def prepare_card(generation, content):
    card = formats.card_format(generation.card_format)
    return media.normalize_card(content, card.size, card.max_bytes)


def prepare_video(generation, content):
    media.probe_video(content)
    return content
