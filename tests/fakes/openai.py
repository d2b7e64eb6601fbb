"""A local fake of the OpenAI Chat Completions API that speaks the real HTTP protocol.

Point a client at ``fake.base_url`` (it ends in ``/v1``, like OPENAI_BASE_URL).
Standalone: ``python -m tests.fakes.openai --port 8083``.
"""

import argparse
import base64
import binascii
import collections
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote

from tests.fakes.http_base import FakeHttpServer, Response, serve_until_signal

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
IMAGE_DETAILS = frozenset({"auto", "low", "high"})
DEFAULT_PREFIX = "UGC video prompt: "
CHARS_PER_TOKEN = 4
TOKENS_PER_IMAGE = 85  # what a low-detail image costs; close enough for usage figures

DEFAULT_MESSAGES = {
    "rate_limit_exceeded": "Rate limit reached for requests. Please try again in 1s.",
    "insufficient_quota": "You exceeded your current quota, please check your plan and billing details.",
    "server_error": "The server had an error while processing your request. Sorry about that!",
    "unsupported_country_region_territory": "Country, region, or territory not supported",
}


class OpenAIError(Exception):
    def __init__(self, status, message, type, code=None, param=None, headers=None):
        super().__init__(message)
        self.status = int(status)
        self.body = {"error": {"message": message, "type": type, "param": param, "code": code}}
        self.headers = headers or {}


def invalid(message, param=None, code=None):
    return OpenAIError(HTTPStatus.BAD_REQUEST, message, "invalid_request_error", code, param)


@dataclass
class Call:
    method: str
    path: str
    params: dict
    key: str | None
    status: int = 0
    at: float = 0.0
    url: str = ""
    raw: bytes = field(default=b"", repr=False)


@dataclass
class _Failure:
    status: int
    type: str
    code: str | None
    message: str | None
    retry_after: float | None
    times: int

    def error(self):
        message = self.message or DEFAULT_MESSAGES.get(self.code) or DEFAULT_MESSAGES.get(self.type) or "Error"
        return OpenAIError(self.status, message, self.type, self.code, headers=self._retry_headers())

    def _retry_headers(self):
        if self.retry_after is None:
            return {}
        seconds = self.retry_after
        return {"retry-after": f"{seconds:g}", "retry-after-ms": str(round(seconds * 1000))}


# ---------------------------------------------------------------------------------------------
# Request checks


def check_body(body):
    """(model, messages) of a valid chat.completions body, else an OpenAIError 400."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty array", "messages")
    for index, message in enumerate(messages):
        check_message(index, message)
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise invalid(f"Invalid '{name}': expected an integer of at least 1", name)
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        raise invalid("Invalid 'n': expected an integer from 1 to 128", "n")
    if body.get("stream"):
        raise invalid("the fake does not stream; call it without 'stream'", "stream")
    return model, messages


def check_message(index, message):
    where = f"messages[{index}]"
    if not isinstance(message, dict) or message.get("role") not in ROLES:
        raise invalid(f"Invalid '{where}.role': expected one of {', '.join(sorted(ROLES))}", f"{where}.role")
    content = message.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not content:
        raise invalid(f"Invalid '{where}.content': expected a string or an array of parts", f"{where}.content")
    for number, part in enumerate(content):
        check_part(f"{where}.content[{number}]", part)


def check_part(where, part):
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return
    if kind != "image_url":
        raise invalid(f"Invalid '{where}': expected a text or image_url part", where)
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str) or image.get("detail", "auto") not in IMAGE_DETAILS:
        raise invalid(f"Invalid '{where}.image_url': expected {{url, detail?}}", f"{where}.image_url")
    if url.startswith("data:"):
        decode_image(url)
    elif not url.startswith(("http://", "https://")):
        raise invalid(f"Invalid '{where}.image_url.url': expected a URL or a base64 data URL", where)


def decode_image(data_url):
    header, _, encoded = data_url.partition(",")
    if not (header.startswith("data:image/") and header.endswith(";base64")):
        raise invalid("Invalid image data URL: expected data:image/<type>;base64,...", code="invalid_image_url")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(
            "You uploaded an unsupported image. Please make sure your image is valid.", code="invalid_image_format"
        ) from None


# ---------------------------------------------------------------------------------------------
# Answers


def parts_of(message):
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def text_of(message):
    return " ".join(part["text"] for part in parts_of(message) if part["type"] == "text")


def default_reply(messages):
    users = [message for message in messages if message["role"] == "user"]
    return DEFAULT_PREFIX + (text_of(users[-1])[:200] if users else "")


def count_tokens(text):
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def completion(model, messages, content, limit, n):
    """A chat.completion object; a reply longer than `limit` tokens is cut with finish_reason "length"."""
    finish_reason = "stop"
    if limit is not None and count_tokens(content) > limit:
        content, finish_reason = content[: limit * CHARS_PER_TOKEN], "length"
    prompt_tokens = sum(
        count_tokens(text_of(message)) + TOKENS_PER_IMAGE * sum(p["type"] == "image_url" for p in parts_of(message))
        for message in messages
    )
    completion_tokens = count_tokens(content) * n
    return {
        "id": f"chatcmpl-{secrets.token_urlsafe(21)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": index,
                "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            for index in range(n)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


# ---------------------------------------------------------------------------------------------
# The fake


class FakeOpenAI(FakeHttpServer):
    thread_name = "fake-openai"

    def __init__(self, *, api_key="sk-test-openai", host="127.0.0.1", port=0, latency=0.0):
        super().__init__(host=host, port=port, latency=latency)
        self.api_key = api_key
        self._lock = threading.Lock()
        self.reset()

    @property
    def base_url(self):
        return f"{self.origin}/v1"

    # -- what tests look at ----------------------------------------------------------------------

    def requests(self, path_suffix=None):
        with self._lock:
            calls = list(self.calls)
        return [call for call in calls if path_suffix is None or call.path.endswith(path_suffix)]

    def sent_images(self):
        """Every image part sent so far: decoded bytes for data URLs, the URL text otherwise."""
        images = []
        for call in self.requests("/chat/completions"):
            if call.status != HTTPStatus.OK:
                continue
            for message in call.params.get("messages") or []:
                for part in parts_of(message):
                    if part["type"] == "image_url":
                        url = part["image_url"]["url"]
                        images.append(decode_image(url) if url.startswith("data:") else url)
        return images

    def saw_text(self, needle):
        """Whether any request carried `needle` in its URL or body (raw, percent- or JSON-decoded)."""
        for call in self.requests():
            decoded = json.dumps(call.params, ensure_ascii=False)
            if needle in call.url or needle in unquote(call.url) or needle in decoded or needle.encode() in call.raw:
                return True
        return False

    # -- what tests arrange ----------------------------------------------------------------------

    def reply_with(self, text):
        """Answer every following completion with `text` (None: back to the default reply)."""
        with self._lock:
            self._reply = text

    def fail_next(self, *, status, type, code=None, message=None, retry_after=None, times=1):
        with self._lock:
            self._failures.append(_Failure(int(status), type, code, message, retry_after, times))

    def reset(self):
        with self._lock:
            self.calls = []
            self._reply = None
            self._failures = collections.deque()

    # -- HTTP entry point (called from server threads) --------------------------------------------

    def handle(self, request):
        call = Call(
            request.method,
            request.path,
            {},
            request.bearer(),
            at=time.monotonic(),
            url=request.target,
            raw=request.body,
        )
        with self._lock:
            self.calls.append(call)
        try:
            response = Response.json(HTTPStatus.OK, self._answer(request, call), headers=self._headers())
        except OpenAIError as error:
            response = Response.json(error.status, error.body, headers={**self._headers(), **error.headers})
        call.status = response.status
        return response

    def _answer(self, request, call):
        self._decode_and_authorize(call, request)
        if (request.method, request.path) != ("POST", "/v1/chat/completions"):
            raise OpenAIError(
                HTTPStatus.NOT_FOUND, f"Invalid URL ({request.method} {request.path})", "invalid_request_error"
            )
        self._raise_planned_failure()
        model, messages = check_body(call.params)
        with self._lock:
            content = self._reply if self._reply is not None else default_reply(messages)
        limit = call.params.get("max_completion_tokens") or call.params.get("max_tokens")
        return completion(model, messages, content, limit, call.params.get("n") or 1)

    def _decode_and_authorize(self, call, request):
        # Decode first so even a refused call shows its params, but answer the key problem first.
        try:
            call.params = self._decode(request)
        except OpenAIError:
            self._authorize(call.key)
            raise
        self._authorize(call.key)

    def _authorize(self, key):
        if key is None:
            raise OpenAIError(
                HTTPStatus.UNAUTHORIZED,
                "You didn't provide an API key. You need to provide your API "
                "key in an Authorization header using Bearer auth.",
                "invalid_request_error",
            )
        if key != self.api_key:
            raise OpenAIError(
                HTTPStatus.UNAUTHORIZED, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"
            )

    @staticmethod
    def _decode(request):
        if not request.body:
            return {}
        try:
            body = json.loads(request.body)
        except ValueError:
            raise invalid("We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        return body

    def _raise_planned_failure(self):
        with self._lock:
            if not self._failures:
                return
            failure = self._failures[0]
            failure.times -= 1
            if failure.times <= 0:
                self._failures.popleft()
        raise failure.error()

    @staticmethod
    def _headers():
        return {"x-request-id": f"req_{secrets.token_hex(16)}", "openai-processing-ms": "1"}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a fake OpenAI Chat Completions API until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--api-key", default="sk-test-openai")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(api_key=args.api_key, host=args.host, port=args.port, latency=args.latency)
    serve_until_signal(fake, [f"api key: {fake.api_key}"])


if __name__ == "__main__":
    main()
