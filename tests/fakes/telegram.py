"""A local fake of the Telegram Bot API that speaks the real HTTP protocol.

Point a real client at it: ``telegram.Bot(token, base_url=f"{fake.base_url}/bot",
base_file_url=f"{fake.base_url}/file/bot")``. Standalone: ``python -m tests.fakes.telegram --port 8081``.
"""

import argparse
import collections
import itertools
import json
import math
import mimetypes
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl

from tests.fakes.http_base import FakeHttpServer, NotMultipart, Response, parse_multipart, serve_until_signal

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INVOICE_PAYLOAD_BYTES = 128
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
LONG_POLL_CAP = 50.0

# Sent as form fields every value is a string; these are the ones callers compare as numbers.
INT_PARAMS = frozenset(
    {"chat_id", "user_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time", "retry_after"}
)
# Free text is never decoded: a message "[draft]" or "true" must stay a string.
TEXT_PARAMS = frozenset({"text", "caption", "title", "description", "payload", "error_message", "start_parameter"})

USER_VISIBLE_METHODS = ("sendMessage", "sendPhoto", "sendVideo", "sendDocument", "sendInvoice", "editMessageText")
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


class FakeTelegram(FakeHttpServer):
    TOKEN = "123456789:TEST-token-for-the-fake-bot-api"
    thread_name = "fake-telegram"

    def __init__(self, token=TOKEN, host="127.0.0.1", port=0, latency=0.0):
        super().__init__(host=host, port=port, latency=latency)
        self.token = token
        self.base_url = ""
        self.bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 0
        self.calls = []
        self.too_many = 0
        self.webhook = {}
        self._lock = threading.RLock()
        self._updates_arrived = threading.Condition(self._lock)
        self._failures = collections.defaultdict(collections.deque)
        self._blocked = set()
        self._rate = _RateLimit()
        self._updates = []
        self._next_update_id = itertools.count(1)
        self._files = {}
        self._paths = {}
        self._file_numbers = itertools.count(1)
        self._message_ids = collections.defaultdict(int)
        self._messages = {}
        self._commands = {}
        self._refunded = set()
        self._webhook_error = None
        self._methods = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendVideo": self._send_video,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "sendInvoice": self._send_invoice,
            "answerPreCheckoutQuery": self._answer_pre_checkout_query,
            "refundStarPayment": self._refund_star_payment,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "close": self._close,
            "logOut": self._log_out,
        }
        self._canonical = {name.lower(): name for name in self._methods}

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self):
        super().start()
        self.base_url = self.origin
        return self

    def stop(self):
        if self._server is None:
            return
        super().stop()
        # Wake long-polling getUpdates calls: they answer at once once the server is gone.
        with self._updates_arrived:
            self._updates_arrived.notify_all()

    # -- what tests look at ----------------------------------------------------------------------

    def requests(self, method=None, chat_id=None):
        with self._lock:
            calls = list(self.calls)
        return [
            call
            for call in calls
            if (method is None or call.method.lower() == method.lower())
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    def sent(self, chat_id=None):
        return [
            call
            for call in self.requests(chat_id=chat_id)
            if call.method in USER_VISIBLE_METHODS and call.status == HTTPStatus.OK
        ]

    def texts(self, chat_id=None):
        """Text, caption or (for invoices) title of every sent() message; "" when it has none."""
        return [
            call.params.get("text") or call.params.get("caption") or call.params.get("title") or ""
            for call in self.sent(chat_id)
        ]

    # -- what tests arrange ----------------------------------------------------------------------

    def reset(self):
        """Forget calls, planned failures, blocked chats, rate limits and pushed updates.

        Files, webhook, commands and message ids stay, as they would on Telegram's side.
        """
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._blocked.clear()
            self._rate = _RateLimit()
            self._updates.clear()
            self.too_many = 0

    def fail_next(self, method, *, status, description, retry_after=None, times=1):
        name = self._canonical.get(method.lower(), method)
        with self._lock:
            self._failures[name].append(_Failure(status, description, retry_after, times))

    def block(self, chat_id):
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id):
        with self._lock:
            self._blocked.discard(chat_id)

    def limit_rate(self, per_second=None, per_chat_per_second=None):
        with self._lock:
            self._rate = _RateLimit(per_second, per_chat_per_second)

    def add_file(self, content, *, file_path=None, file_size=None, file_id=None):
        """Register a downloadable file and return its file_id.

        file_path defaults to photos/file_<n>.jpg, numbered from 1, so several files never share a path.
        A file_size larger than the content fakes a huge file without holding its bytes.
        """
        file_path = file_path or f"photos/file_{next(self._file_numbers)}.jpg"
        return self._register(content, file_path, file_size=file_size, file_id=file_id).file_id

    def _register(self, content, file_path, *, file_size=None, file_id=None):
        stored = StoredFile(
            file_id=file_id or f"AgACAgIAAxkBAAI{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{secrets.token_urlsafe(9)}",
            file_path=file_path,
            file_size=len(content or b"") if file_size is None else file_size,
            content=content,
        )
        with self._lock:
            self._files[stored.file_id] = stored
            if content is not None:
                self._paths[file_path] = stored
        return stored

    def _new_path(self, directory, extension):
        return f"{directory}/file_{next(self._file_numbers)}.{extension}"

    def file(self, file_id):
        """The StoredFile behind a file_id (uploads included), or None."""
        with self._lock:
            return self._files.get(file_id)

    def push_update(self, update):
        """Queue an update for getUpdates; an update without update_id gets the next one."""
        with self._updates_arrived:
            if "update_id" not in update:
                update = {"update_id": next(self._next_update_id), **update}
            self._updates.append(update)
            self._updates_arrived.notify_all()

    def set_webhook_error(self, message, date=None):
        with self._lock:
            self._webhook_error = (int(date if date is not None else time.time()), message)

    # -- HTTP entry points (called from server threads) -----------------------------------------

    def handle(self, request):
        if request.path.startswith("/file/bot"):
            token, _, file_path = request.path.removeprefix("/file/bot").partition("/")
            status, content = self.handle_download(token, file_path)
            if content is not None:
                return Response(status, content, "application/octet-stream")
            status, answer = HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"}
        elif request.path.startswith("/bot"):
            token, _, method = request.path.removeprefix("/bot").partition("/")
            status, answer = self.handle_api(
                token, method, request.headers.get("Content-Type"), request.body, request.query
            )
        else:
            status, answer = HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"}
        return Response.json(status, answer)

    def handle_api(self, token, method, content_type, body, query):
        at = time.monotonic()
        name = self._canonical.get(method.lower(), method)
        call = Call(method=name, params={}, files={}, status=0, at=at)
        with self._lock:
            self.calls.append(call)
        try:
            call.params, call.files = decode_request(content_type, body, query)
            if token != self.token:
                raise ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
            handler = self._methods.get(name)
            if handler is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "Not Found: method not found")
            self._raise_planned_failure(name)
            self._raise_if_rate_limited(name, call.params)
            self._raise_if_blocked(name, call.params)
            answer = {"ok": True, "result": handler(call.params, call.files)}
            call.status = int(HTTPStatus.OK)
        except ApiError as error:
            answer = error.answer()
            call.status = int(error.status)
            if error.status == HTTPStatus.TOO_MANY_REQUESTS:
                with self._lock:
                    self.too_many += 1
        except Exception as error:  # noqa: BLE001  (a bug in the fake must reach the test as an answer)
            call.status = int(HTTPStatus.INTERNAL_SERVER_ERROR)
            answer = {"ok": False, "error_code": call.status, "description": f"Internal Server Error: {error!r}"}
        return call.status, answer

    def handle_download(self, token, file_path):
        with self._lock:
            stored = self._paths.get(file_path)
        if token != self.token or stored is None or stored.content is None:
            return HTTPStatus.NOT_FOUND, None
        return HTTPStatus.OK, stored.content

    # -- checks before every method ---------------------------------------------------------------

    def _raise_planned_failure(self, name):
        with self._lock:
            queue = self._failures.get(name)
            if not queue:
                return
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
        parameters = {"retry_after": failure.retry_after} if failure.retry_after is not None else None
        raise ApiError(failure.status, failure.description, parameters)

    def _raise_if_rate_limited(self, name, params):
        if not name.startswith(("send", "edit")) or name == "sendChatAction":
            return
        chat_id = params.get("chat_id")
        now = time.monotonic()
        with self._lock:
            windows = []
            if self._rate.per_second is not None:
                windows.append((self._rate.overall, self._rate.per_second))
            if self._rate.per_chat_per_second is not None and chat_id is not None:
                windows.append((self._rate.per_chat[chat_id], self._rate.per_chat_per_second))
            for window, limit in windows:
                while window and window[0] <= now - 1.0:
                    window.popleft()
                if len(window) >= limit:
                    retry_after = max(1, math.ceil(window[0] + 1.0 - now)) if window else 1
                    raise ApiError(
                        HTTPStatus.TOO_MANY_REQUESTS,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
            for window, _ in windows:
                window.append(now)

    def _raise_if_blocked(self, name, params):
        with self._lock:
            blocked = params.get("chat_id") in self._blocked
        if blocked and name.startswith(("send", "edit")):
            raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user")

    # -- helpers for the methods --------------------------------------------------------------------

    def _bot_user(self):
        return {"id": self.bot_id, "is_bot": True, "first_name": "NeuroCards", "username": "neurocards_test_bot"}

    @staticmethod
    def _require(params, name):
        value = params.get(name)
        if value is None or value == "":
            raise bad_request(f'parameter "{name}" is required')
        return value

    @staticmethod
    def _chat_id(params):
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad_request("chat not found")
        return chat_id

    @staticmethod
    def _check_text(text, *, empty="message text is empty"):
        if not isinstance(text, str) or not text.strip():
            raise bad_request(empty)
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text

    @staticmethod
    def _check_caption(params):
        caption = params.get("caption")
        if isinstance(caption, str) and len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return {"caption": caption} if caption else {}

    @staticmethod
    def _inline_markup(params):
        # Only inline keyboards belong to a Message; reply keyboards are not echoed by Telegram.
        markup = params.get("reply_markup")
        return {"reply_markup": markup} if isinstance(markup, dict) and "inline_keyboard" in markup else {}

    def _new_message(self, chat_id, params, **content):
        with self._lock:
            self._message_ids[chat_id] += 1
            message = {
                "message_id": self._message_ids[chat_id],
                "from": self._bot_user(),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "date": int(time.time()),
                **content,
                **self._inline_markup(params),
            }
            self._messages[(chat_id, message["message_id"])] = message
        return message

    def _edited_message(self, params, **content):
        """Apply an edit to a known message, or make one up so tests can edit fixture messages."""
        if params.get("inline_message_id"):
            return True
        chat_id = self._chat_id(params)
        message_id = self._require(params, "message_id")
        with self._lock:
            old = self._messages.get((chat_id, message_id))
            if old is None:
                old = {
                    "message_id": message_id,
                    "from": self._bot_user(),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "date": int(time.time()),
                }
            new = {key: value for key, value in old.items() if key not in ("reply_markup", "edit_date")}
            new.update(content)
            new.update(self._inline_markup(params))
            if (chat_id, message_id) in self._messages and all(
                old.get(key) == new.get(key) for key in ("text", "caption", "reply_markup")
            ):
                raise bad_request(NOT_MODIFIED)
            new["edit_date"] = int(time.time())
            self._messages[(chat_id, message_id)] = new
        return new

    def _store_upload(self, params, files, field_name, directory, extension):
        """(StoredFile, filename) for an uploaded part, a known file_id or a URL."""
        if field_name in files:
            filename, content = files[field_name]
            if len(content) > MAX_UPLOAD_SIZE:
                raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
            suffix = filename.rpartition(".")[2] if "." in filename else extension
            return self._register(content, self._new_path(directory, suffix)), filename
        reference = self._require(params, field_name)
        stored = self.file(reference)
        if stored is not None:
            return stored, None
        if isinstance(reference, str) and reference.startswith(("http://", "https://")):
            return self._register(None, self._new_path(directory, extension), file_size=0), reference.rpartition("/")[2]
        raise bad_request("wrong file identifier/HTTP URL specified")

    # -- the methods --------------------------------------------------------------------------------

    def _get_me(self, params, files):
        return {
            **self._bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params, files):
        chat_id = self._chat_id(params)
        return self._new_message(chat_id, params, text=self._check_text(params.get("text")))

    def _edit_message_text(self, params, files):
        return self._edited_message(params, text=self._check_text(params.get("text")))

    def _edit_message_reply_markup(self, params, files):
        return self._edited_message(params)

    def _delete_message(self, params, files):
        chat_id = self._chat_id(params)
        message_id = self._require(params, "message_id")
        with self._lock:
            self._messages.pop((chat_id, message_id), None)
        return True

    def _answer_callback_query(self, params, files):
        self._require(params, "callback_query_id")
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        return True

    def _send_photo(self, params, files):
        chat_id = self._chat_id(params)
        caption = self._check_caption(params)
        stored, _ = self._store_upload(params, files, "photo", "photos", "jpg")
        width, height = (image_size(stored.content) if stored.content else None) or (1280, 1280)
        largest = {**stored.as_file(), "width": width, "height": height}
        sizes = [largest]
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            thumbnail = self._register(stored.content, self._new_path("photos", "jpg"))
            thumb = {
                **thumbnail.as_file(),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
            sizes.insert(0, thumb)
        return self._new_message(chat_id, params, photo=sizes, **caption)

    def _send_video(self, params, files):
        chat_id = self._chat_id(params)
        caption = self._check_caption(params)
        stored, filename = self._store_upload(params, files, "video", "videos", "mp4")
        video = {
            **stored.as_file(),
            "width": int(params.get("width") or 1280),
            "height": int(params.get("height") or 720),
            "duration": int(params.get("duration") or 0),
            "mime_type": "video/mp4",
        }
        if filename:
            video["file_name"] = filename
        return self._new_message(chat_id, params, video=video, **caption)

    def _send_document(self, params, files):
        chat_id = self._chat_id(params)
        caption = self._check_caption(params)
        stored, filename = self._store_upload(params, files, "document", "documents", "bin")
        filename = filename or stored.file_path.rpartition("/")[2]
        document = {
            **stored.as_file(),
            "file_name": filename,
            "mime_type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
        }
        return self._new_message(chat_id, params, document=document, **caption)

    def _send_chat_action(self, params, files):
        self._chat_id(params)
        if self._require(params, "action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _get_file(self, params, files):
        stored = self.file(self._require(params, "file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {**stored.as_file(), "file_path": stored.file_path}

    def _send_invoice(self, params, files):
        chat_id = self._chat_id(params)
        for name in ("title", "description", "payload", "currency"):
            self._require(params, name)
        if len(params["payload"].encode("utf-8")) > MAX_INVOICE_PAYLOAD_BYTES:
            raise bad_request("invoice payload is too long")
        prices = params.get("prices")
        if not isinstance(prices, list) or not prices:
            raise bad_request("prices are not specified")
        currency = params["currency"]
        if currency == "XTR" and (len(prices) != 1 or params.get("provider_token") or params.get("max_tip_amount")):
            raise bad_request("STARS_INVOICE_INVALID")
        if currency != "XTR" and not params.get("provider_token"):
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": params.get("start_parameter") or "",
            "currency": currency,
            "total_amount": sum(int(price["amount"]) for price in prices),
        }
        return self._new_message(chat_id, params, invoice=invoice)

    def _answer_pre_checkout_query(self, params, files):
        self._require(params, "pre_checkout_query_id")
        if params.get("ok") is None:
            raise bad_request('parameter "ok" is required')
        if params["ok"] is False:
            self._require(params, "error_message")
        return True

    def _refund_star_payment(self, params, files):
        self._require(params, "user_id")
        charge_id = self._require(params, "telegram_payment_charge_id")
        with self._lock:
            if charge_id in self._refunded:
                raise bad_request("CHARGE_ALREADY_REFUNDED")
            self._refunded.add(charge_id)
        return True

    def _set_webhook(self, params, files):
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get("max_connections", 40)
        if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
            raise bad_request("max_connections must be between 1 and 100")
        stored = {"url": url, "max_connections": max_connections}
        for name in ("secret_token", "allowed_updates", "drop_pending_updates"):
            if name in params:
                stored[name] = params[name]
        with self._lock:
            self.webhook = stored if url else {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _delete_webhook(self, params, files):
        with self._lock:
            self.webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _get_webhook_info(self, params, files):
        with self._lock:
            info = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.webhook:
                info["max_connections"] = self.webhook["max_connections"]
                if "allowed_updates" in self.webhook:
                    info["allowed_updates"] = self.webhook["allowed_updates"]
            if self._webhook_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _get_updates(self, params, files):
        offset = params.get("offset")
        limit = params.get("limit") or 100
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        with self._updates_arrived:
            while True:
                if self.webhook:
                    raise ApiError(
                        HTTPStatus.CONFLICT,
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first",
                    )
                if isinstance(offset, int) and offset < 0:
                    self._updates[:] = self._updates[offset:]
                elif isinstance(offset, int):
                    # Asking from an offset confirms, and so forgets, every earlier update.
                    self._updates[:] = [update for update in self._updates if update["update_id"] >= offset]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._server is None:
                    return list(self._updates[:limit])
                self._updates_arrived.wait(remaining)

    @staticmethod
    def _commands_key(params):
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _set_my_commands(self, params, files):
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" is required')
        for command in commands:
            if not BOT_COMMAND.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params, files):
        with self._lock:
            return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params, files):
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
        return True

    def _close(self, params, files):
        return True

    def _log_out(self, params, files):
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a fake Telegram Bot API until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=FakeTelegram.TOKEN)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--rate", type=int, default=None, help="messages per second overall before 429")
    parser.add_argument("--chat-rate", type=int, default=None, help="messages per second per chat before 429")
    args = parser.parse_args(argv)
    fake = FakeTelegram(token=args.token, host=args.host, port=args.port, latency=args.latency)
    fake.limit_rate(per_second=args.rate, per_chat_per_second=args.chat_rate)
    serve_until_signal(fake, [f"token: {fake.token}"])


if __name__ == "__main__":
    main()
