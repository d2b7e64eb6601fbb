"""A seller's product photo, downloaded and checked by its bytes before the flow takes it.

Telegram's `file_size` may be missing and a document's MIME type is whatever the sender's app says
(an HTML page sent as `image/png`), so only the content tells: at most 20 MB, and a JPEG, PNG or WebP
that Pillow decodes. Network and decoding only: the caller holds no lock while this runs.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations import media, storage
from messaging import sender

MAX_PHOTO_BYTES = sender.MAX_FILE_BYTES
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}  # what the providers take


class PhotoRefused(Exception):
    """The file can't be the product photo; `reason` is "too_big", "not_image" or "not_downloaded"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def fetch_and_store(file_id):
    """Download the file, check it is an image, store it under a random name; returns the stored name."""
    try:
        content = sender.fetch_file(file_id, max_bytes=MAX_PHOTO_BYTES)
    except sender.FileTooBig:
        raise PhotoRefused("too_big") from None
    except sender.FileError:
        raise PhotoRefused("not_downloaded") from None
    try:
        extension = EXTENSIONS.get(media.probe_image(content)[0])
    except media.MediaError:
        extension = None
    if extension is None:
        raise PhotoRefused("not_image")
    return default_storage.save(storage.private_name("references", extension), ContentFile(content))
