"""The gallery's thumbnails: a small JPEG of a card (its result) or of a video's product photo, made with
Pillow on first sight, kept in storage next to the originals, and handed out through a signed, expiring link.

A thumbnail's link works like the result's (generations.storage): it names the generation and is signed
with the stored source's name in the key, so it opens only that file's thumbnail, for RESULT_LINK_HOURS;
a replaced or cleaned-up source voids it. The thumbnail's own name is derived from the source's random one,
so it is as unguessable and needs no column.
"""

import io
import logging
import re

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageOps

from generations.models import Generation

log = logging.getLogger(__name__)

SIZE = 360  # px, the longer side: a third of a 360 px screen at 3x, sharp in a two-column grid
QUALITY = 80
SALT = "miniapp.thumb"
SEPARATOR = "."


def source(generation):
    """The stored file a generation's thumbnail is made from: a card's result, a video's product photo."""
    if generation.kind == Generation.Kind.IMAGE:
        return generation.result_file.name or None
    return generation.reference_image.name or None


def _signer(name):
    return signing.TimestampSigner(salt=f"{SALT}:{name}", sep=SEPARATOR)


def link(generation):
    """An absolute signed link to the thumbnail, or None when the generation has nothing to show."""
    name = source(generation)
    if not name:
        return None
    token = _signer(name).sign(str(generation.pk))
    return f"{settings.PUBLIC_BASE_URL}{reverse('miniapp-thumb', args=[token])}"


def generation_for(token):
    """The generation a valid, unexpired token was signed for, or None (junk, altered, expired, source gone)."""
    value = token.partition(SEPARATOR)[0]
    if not re.fullmatch(r"[0-9]{1,18}", value):
        return None
    generation = Generation.objects.filter(pk=int(value)).first()
    name = source(generation) if generation is not None else None
    if not name:
        return None
    try:
        signed = _signer(name).unsign(token, max_age=settings.RESULT_LINK_HOURS * 3600)
    except signing.BadSignature:
        return None
    return generation if signed == value else None


def thumb_name(name):
    folder, _, file_name = name.rpartition("/")
    return f"thumbs/{folder.replace('/', '-')}-{file_name.rpartition('.')[0] or file_name}.jpg"


def stored_thumb(generation):
    """The thumbnail's storage name, made now if it is not there yet; None when the source can't be read."""
    name = source(generation)
    thumb = thumb_name(name)
    if default_storage.exists(thumb):
        return thumb
    try:
        with default_storage.open(name, "rb") as file:
            content = make(file)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        log.warning("generation %s: no thumbnail (%s)", generation.pk, type(error).__name__)
        return None
    if not default_storage.exists(thumb):  # another request may have made it meanwhile
        default_storage.save(thumb, ContentFile(content))
    return thumb


def make(file):
    """A JPEG of at most SIZE px on its longer side, turned upright as the camera meant it."""
    with Image.open(file) as picture:
        picture = ImageOps.exif_transpose(picture)
        picture.thumbnail((SIZE, SIZE))
        if picture.mode != "RGB":
            picture = picture.convert("RGB")
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=QUALITY, optimize=True)
    return buffer.getvalue()
