"""A local fake of the Telegram Bot API that speaks the real HTTP protocol.

Point a real client at it: ``telegram.Bot(token, base_url=f"{fake.base_url}/bot",
base_file_url=f"{fake.base_url}/file/bot")``. Standalone: ``python -m tests.fakes.telegram --port 8081``.
"""

import argparse
import collections
import itertools
import math
import secrets
import threading
import time
from http import HTTPStatus

from tests.fakes.http_base import FakeHttpServer, Response, serve_until_signal
from tests.fakes.telegram_api import (
    USER_VISIBLE_METHODS,
    ApiError,
    Call,
    StoredFile,
    _Failure,
    _RateLimit,
    decode_request,
)
from tests.fakes.telegram_methods import BotApiMethods


class FakeTelegram(BotApiMethods, FakeHttpServer):
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
        self._descriptions = {}  # (kind, language_code) → text
        self._menu_buttons = {}  # chat_id (None: the default) → MenuButton
        self._refunded = set()
        self._invoice_links = {}  # slug → the invoice createInvoiceLink made
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
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "sendInvoice": self._send_invoice,
            "createInvoiceLink": self._create_invoice_link,
            "answerPreCheckoutQuery": self._answer_pre_checkout_query,
            "refundStarPayment": self._refund_star_payment,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
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
        """Text, caption or (for invoices) title of every sent() message; an album's captions, joined; "" when
        it has none."""
        return [
            call.params.get("text")
            or call.params.get("caption")
            or call.params.get("title")
            or " ".join(item.get("caption", "") for item in call.params.get("media") or [] if isinstance(item, dict))
            or ""
            for call in self.sent(chat_id)
        ]

    def invoice_link(self, link):
        """The invoice behind a link createInvoiceLink answered (title, description, payload, currency,
        total_amount), or None."""
        with self._lock:
            return self._invoice_links.get(link.rpartition("$")[2])

    def description(self, kind="description", language_code=""):
        """What the bot's (short) description is for a language, as getMy(Short)Description answers."""
        with self._lock:
            return self._descriptions.get((kind, language_code), "")

    def menu_button(self, chat_id=None):
        """The menu button of a private chat (None: the bot's default one), as getChatMenuButton answers."""
        with self._lock:
            return self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "commands"}

    def commands(self, language_code=""):
        """The default-scope command list for a language, as getMyCommands answers."""
        with self._lock:
            return self._commands.get(self._commands_key({"language_code": language_code}), [])

    def markups(self, chat_id=None):
        """The inline keyboards of sent() messages, as [(method, text, keyboard)] for those that had one."""
        texts = self.texts(chat_id)
        return [
            (call.method, text, call.params["reply_markup"]["inline_keyboard"])
            for call, text in zip(self.sent(chat_id), texts, strict=True)
            if isinstance(call.params.get("reply_markup"), dict) and "inline_keyboard" in call.params["reply_markup"]
        ]

    # -- what tests arrange ----------------------------------------------------------------------

    def reset(self):
        """Forget calls, planned failures, blocked chats, rate limits and pushed updates.

        Files, webhook, commands, descriptions and message ids stay, as they would on Telegram's side.
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
