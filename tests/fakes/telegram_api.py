"""The Bot API's rules as the fake Telegram enforces them: limits, errors, how requests are encoded."""

import collections
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl

from tests.fakes.http_base import NotMultipart, parse_multipart

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_ALBUM = 10  # sendMediaGroup: 2 to 10 items
MAX_INVOICE_PAYLOAD_BYTES = 128
MAX_DESCRIPTION_LENGTH = 512
MAX_SHORT_DESCRIPTION_LENGTH = 120
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
LONG_POLL_CAP = 50.0

# Sent as form fields every value is a string; these are the ones callers compare as numbers.
INT_PARAMS = frozenset(
    {"chat_id", "user_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time", "retry_after"}
)
# Free text is never decoded: a message "[draft]" or "true" must stay a string.
TEXT_PARAMS = frozenset(
    {"text", "caption", "title", "description", "short_description", "payload", "error_message", "start_parameter"}
)

USER_VISIBLE_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendVideo",
    "sendDocument",
    "sendMediaGroup",
    "sendInvoice",
    "editMessageText",
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_CODE = re.compile(r"[a-z]{2}")  # ISO 639-1, or empty for every language without its own
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, status, description, parameters=None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def answer(self):
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description):
    return ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {description}")


@dataclass
class Call:
    method: str
    params: dict
    files: dict
    status: int
    at: float


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_size: int
    content: bytes | None = None

    def as_file(self):
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": self.file_size}


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _RateLimit:
    per_second: int | None = None
    per_chat_per_second: int | None = None
    overall: collections.deque = field(default_factory=collections.deque)
    per_chat: dict = field(default_factory=lambda: collections.defaultdict(collections.deque))


# ---------------------------------------------------------------------------------------------
# Request decoding


def decode_request(content_type, body, query):
    """Turn any of the four encodings the Bot API accepts into one (params, files) pair.

    query is the parsed query string; files maps a field to (filename, bytes).
    """
    raw = dict(query)
    files = {}
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json" and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(decoded, dict):
            raise bad_request("JSON request body must be an object")
        raw.update(decoded)
    elif media_type == "multipart/form-data":
        try:
            fields, parts = parse_multipart(content_type, body)
        except NotMultipart:
            raise bad_request("can't parse multipart request body") from None
        raw.update(fields)
        files = {name: (filename, content) for name, (filename, _, content) in parts.items()}
    elif body:
        raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {key: decode_value(key, value) for key, value in raw.items()}, files


def decode_value(key, value):
    if not isinstance(value, str) or key in TEXT_PARAMS:
        return value
    if key in INT_PARAMS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return {"true": True, "false": False}.get(value, value)


def image_size(content):
    """(width, height) of a PNG or JPEG, else None."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(content):
        if content[at] != 0xFF:
            return None
        marker = content[at + 1]
        length = int.from_bytes(content[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(content[at + 7 : at + 9], "big"), int.from_bytes(content[at + 5 : at + 7], "big")
        at += 2 + length
    return None


# ---------------------------------------------------------------------------------------------
# The fake
