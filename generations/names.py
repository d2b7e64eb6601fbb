"""What a result is called: its place in its order ("card 2 of 5") and its file's name."""

from generations.models import Generation
from messaging import texts
from neurocards.lib.filenames import slug


def place(generation):
    """(number, total): the generation's place among its order's, counted from 1 in the order they were made."""
    order = list(Generation.objects.filter(order_id=generation.order_id).order_by("pk").values_list("pk", flat=True))
    return (order.index(generation.pk) + 1 if generation.pk in order else 1), max(len(order), 1)


def file_name(generation, number, total):
    """ "termokruzhka-350-ml-2.jpg": from the product's name, numbered within an order of several;
    "card-123.jpg" (or "video-123.mp4") when the name has nothing to spell in ASCII."""
    extension = "mp4" if generation.kind == Generation.Kind.VIDEO else "jpg"
    stem = slug(texts.product(generation))
    if not stem:
        return f"{'video' if generation.kind == Generation.Kind.VIDEO else 'card'}-{generation.pk}.{extension}"
    return f"{stem}-{number}.{extension}" if total > 1 else f"{stem}.{extension}"
