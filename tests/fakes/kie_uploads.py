"""Uploads of the fake KIE: request decoding and the three file-upload endpoints' rules."""

import base64
import binascii
import datetime as dtm
import json
import mimetypes
import secrets
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, quote, urlsplit

from tests.fakes.http_base import parse_multipart
from tests.fakes.kie_tasks import KieError, is_http_url

UPLOAD_LIMIT = 10 * 1024 * 1024
# The first bytes of the formats a product photo comes in, for uploads without a usable type.
SIGNATURES = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"RIFF", "image/webp"))


@dataclass
class Part:
    """A multipart file field as it arrived."""

    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass
class Upload:
    via: str  # "stream", "base64" or "url"
    upload_path: str
    file_name: str
    content: bytes | None = field(repr=False)  # None for a URL upload: the fake never fetches it
    mime_type: str
    download_url: str
    file_url: str | None = None
    uploaded_at: str = field(
        default_factory=lambda: dtm.datetime.now(dtm.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )

    @property
    def file_path(self):
        return f"{self.upload_path}/{self.file_name}"

    def data(self):
        return {
            "fileName": self.file_name,
            "filePath": self.file_path,
            "downloadUrl": self.download_url,
            "fileSize": len(self.content or b""),
            "mimeType": self.mime_type,
            "uploadedAt": self.uploaded_at,
        }


def decode_params(request):
    """Query, then the JSON, multipart or form body, as one dict; a file field becomes a Part."""
    params = dict(request.query)
    if not request.body:
        return params
    if request.media_type == "application/json":
        try:
            decoded = json.loads(request.body)
        except ValueError:
            raise KieError(400, "Request body is not valid JSON") from None
        if not isinstance(decoded, dict):
            raise KieError(400, "Request body must be a JSON object")
        params.update(decoded)
    elif request.media_type == "multipart/form-data":
        try:
            fields, files = parse_multipart(request.headers.get("Content-Type"), request.body)
        except ValueError:
            raise KieError(400, "Malformed multipart body") from None
        params.update(fields)
        params.update({name: Part(*file) for name, file in files.items()})
    else:
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


# Each reader turns an endpoint's params into (content or None, file name or None, declared type or None).


def read_stream(params):
    part = params.get("file")
    if not isinstance(part, Part):
        raise KieError(400, "file is required")
    declared = None if part.content_type == "application/octet-stream" else part.content_type
    return part.content, params.get("fileName") or part.filename, declared


def read_base64(params):
    value = params.get("base64Data")
    if not isinstance(value, str) or not value:
        raise KieError(400, "base64Data is required")
    declared = None
    if value.startswith("data:"):
        header, _, value = value.partition(",")
        if not header.endswith(";base64"):
            raise KieError(400, "base64Data must be base64 encoded")
        declared = header.removeprefix("data:").removesuffix(";base64") or None
    try:
        content = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KieError(400, "base64Data is not valid base64") from None
    return content, params.get("fileName"), declared


def read_url(params):
    file_url = params.get("fileUrl")
    if not is_http_url(file_url):
        raise KieError(400, "fileUrl must be an http(s) URL")
    return None, params.get("fileName") or PurePosixPath(urlsplit(file_url).path).name, None


READERS = {"stream": read_stream, "base64": read_base64, "url": read_url}


def make_upload(via, params, base_url):
    content, file_name, declared = READERS[via](params)
    upload_path = str(params.get("uploadPath") or "").strip("/")
    if not upload_path:
        raise KieError(400, "uploadPath is required")
    if content is not None and len(content) > UPLOAD_LIMIT:
        raise KieError(413, f"file too large: {len(content)} bytes, the limit is 10 MB")
    mime = declared or mimetypes.guess_type(file_name or "")[0] or sniff_mime(content) or "application/octet-stream"
    # A client-chosen name must not climb out of uploadPath.
    file_name = PurePosixPath(file_name).name if file_name else _random_name(mime)
    download_url = f"{base_url}/files/{quote(f'{upload_path}/{file_name}')}"
    return Upload(
        via, upload_path, file_name, content, mime, download_url, params.get("fileUrl") if via == "url" else None
    )


def sniff_mime(content):
    for prefix, mime in SIGNATURES:
        if content and content.startswith(prefix):
            return mime
    return None


def _random_name(mime):
    return f"{secrets.token_hex(8)}{mimetypes.guess_extension(mime) or '.bin'}"
