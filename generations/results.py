"""A downloaded result made into what the seller ordered: checked, sized for its format, finished by us.

The bytes are what they claim only once they decode as such: text or HTML is never stored as "the video".
Raises media.MediaError for content that is not a usable result (the pipeline retries, then fails it).
"""

from generations import cards, cover, formats, media
from generations.models import Generation


def prepare(generation, content):
    """(bytes, file extension) to store for this generation's downloaded result."""
    if generation.kind == Generation.Kind.IMAGE:
        return prepare_card(generation, content), "jpg"
    return prepare_video(generation, content), "mp4"


def prepare_card(generation, content):
    """An opaque sRGB JPEG of the format's size under its byte limit; an infographic with its text typeset."""
    card = formats.card_format(generation.card_format)
    if generation.template != "infographic":
        return media.normalize_card(content, card.size, card.max_bytes)
    scene = media.fit_card(content, card.size)
    title = generation.title or media._title_of(generation.description)
    points = [point for point in generation.points or () if isinstance(point, str)]
    return media.encode_jpeg(cards.typeset(scene, title=title, points=points, card_format=card), card.max_bytes)


def prepare_video(generation, content):
    """Other templates' videos are delivered as the provider made them, once they decode; an Ozon cover
    is remade to Ozon's limits with the product's title and points over its first seconds."""
    if generation.template == "ozon_cover":
        lines = (line.strip() for line in generation.description.splitlines() if line.strip())
        title = generation.title or next(lines, "")
        return cover.make_cover(content, title=title, points=list(generation.points or ()))
    media.probe_video(content)
    return content
