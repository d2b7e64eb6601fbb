"""Stored media is private: random names, handed out only to staff with permission and through signed links.

A stored name carries no id and no date (those were guessed: 22 files of 22 in 75 tries), so even a
storage left readable by mistake gives nothing away. Nothing serves MEDIA_ROOT or the bucket publicly:
staff read a file through a permission check, a seller through a link signed for one generation's
one stored file, valid for RESULT_LINK_HOURS.
"""

import re
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

NAME_BYTES = 24  # 192 random bits: 32 characters, never guessed
RESULT_LINK_SALT = "generations.result-link"
# A dot is outside the base64 alphabet of the signature and reads as plain text in a link.
RESULT_LINK_SEPARATOR = "."


def private_name(folder, extension):
    """A storage name such as `results/<32 random characters>.mp4`."""
    return f"{folder}/{secrets.token_urlsafe(NAME_BYTES)}.{extension}"


def is_private_name(name):
    return re.fullmatch(r"(references|results)/[A-Za-z0-9_-]{32}\.[a-z0-9]{1,5}", name) is not None


def reference_upload_to(generation, filename):
    return private_name("references", extension_of(filename, "jpg"))


def result_upload_to(generation, filename):
    return private_name("results", extension_of(filename, "bin"))


def extension_of(filename, default):
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    return extension if re.fullmatch(r"[a-z0-9]{1,5}", extension) else default


# --- Signed links for sellers -----------------------------------------------------------------


def _signer(generation):
    # The stored name is part of the key, not of the link: a link names its generation and opens only
    # the file stored for it when it was signed (a replaced or deleted file voids it).
    return signing.TimestampSigner(salt=f"{RESULT_LINK_SALT}:{generation.result_file.name}", sep=RESULT_LINK_SEPARATOR)


def result_link(generation):
    """An absolute link to this generation's result, valid for RESULT_LINK_HOURS."""
    token = _signer(generation).sign(str(generation.pk))
    return f"{settings.PUBLIC_BASE_URL}{reverse('generation-result-link', args=[token])}"


def generation_id_of(token):
    """The generation a link names, before its signature is checked (None for junk)."""
    value = token.partition(RESULT_LINK_SEPARATOR)[0]
    # ASCII digits only: str.isdigit() also passes "²", which int() refuses.
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def verify_result_link(generation, token):
    """True when the token was signed for this generation's stored result and has not expired."""
    if not generation.result_file:
        return False
    try:
        value = _signer(generation).unsign(token, max_age=settings.RESULT_LINK_HOURS * 3600)
    except signing.BadSignature:  # SignatureExpired is one
        return False
    return value == str(generation.pk)
