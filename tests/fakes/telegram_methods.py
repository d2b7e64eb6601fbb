"""The Bot API methods of the fake Telegram (a mixin of FakeTelegram, which holds the state they use)."""

import json
import mimetypes
import secrets
import time
from http import HTTPStatus

from tests.fakes.telegram_api import (
    BOT_COMMAND,
    CHAT_ACTIONS,
    LANGUAGE_CODE,
    LONG_POLL_CAP,
    MAX_ALBUM,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_DOWNLOAD_SIZE,
    MAX_INVOICE_PAYLOAD_BYTES,
    MAX_SHORT_DESCRIPTION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_SIZE,
    NOT_MODIFIED,
    SECRET_TOKEN,
    ApiError,
    bad_request,
    image_size,
)


class BotApiMethods:
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
        self._check_web_app_buttons(params)
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
        self._check_web_app_buttons(params)
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

    def _send_media_group(self, params, files):
        """An album: 2–10 photos and videos, or documents, or audios; one Message each, sharing media_group_id."""
        chat_id = self._chat_id(params)
        media = params.get("media")
        if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= MAX_ALBUM:
            raise bad_request("wrong number of messages in the album" if media else 'parameter "media" is required')
        if params.get("reply_markup"):
            raise bad_request("reply markup is not supported in media groups")  # the real method has no such field
        types = {item.get("type") for item in media}
        if not types <= {"photo", "video", "document", "audio"}:
            raise bad_request("wrong type of the media")
        for alone in ("document", "audio"):
            if alone in types and types != {alone}:
                raise bad_request(f"{alone} can't be mixed with other media types")
        group = str(next(self._file_numbers) * 7919)
        contents = [self._album_item(item, files) for item in media]
        return [
            self._new_message(chat_id, {}, media_group_id=group, **content, **self._check_caption(item))
            for item, content in zip(media, contents, strict=True)
        ]

    def _album_item(self, item, files):
        kind = item["type"]
        reference = item.get("media")
        if isinstance(reference, str) and reference.startswith("attach://"):
            name = reference.removeprefix("attach://")
            if name not in files:
                raise bad_request(f'can\'t find attached file "{name}"')
            upload, params = {"media": files[name]}, {}
        else:
            upload, params = {}, {"media": reference}
        directory, extension = {"photo": ("photos", "jpg"), "video": ("videos", "mp4")}.get(kind, ("documents", "bin"))
        stored, filename = self._store_upload(params, upload, "media", directory, extension)
        if kind == "photo":
            width, height = (image_size(stored.content) if stored.content else None) or (1280, 1280)
            return {"photo": [{**stored.as_file(), "width": width, "height": height}]}
        filename = filename or stored.file_path.rpartition("/")[2]
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return {kind: {**stored.as_file(), "file_name": filename, "mime_type": mime}}

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

    def _check_invoice(self, params):
        """The checks sendInvoice and createInvoiceLink share; their prices and currency."""
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
        return prices, currency

    def _send_invoice(self, params, files):
        chat_id = self._chat_id(params)
        prices, currency = self._check_invoice(params)
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": params.get("start_parameter") or "",
            "currency": currency,
            "total_amount": sum(int(price["amount"]) for price in prices),
        }
        return self._new_message(chat_id, params, invoice=invoice)

    def _create_invoice_link(self, params, files):
        """A link to an invoice for a Mini App's openInvoice: checked as sendInvoice is, kept by its slug
        (`invoice_link(slug)`), and answered `https://t.me/$<slug>` as Telegram does."""
        prices, currency = self._check_invoice(params)
        slug = secrets.token_urlsafe(12)
        with self._lock:
            self._invoice_links[slug] = {
                "title": params["title"],
                "description": params["description"],
                "payload": params["payload"],
                "currency": currency,
                "total_amount": sum(int(price["amount"]) for price in prices),
            }
        return f"https://t.me/${slug}"

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

    @staticmethod
    def _language_code(params):
        code = params.get("language_code") or ""
        if code and not LANGUAGE_CODE.fullmatch(str(code)):
            raise bad_request("invalid language code specified")
        return code

    def _set_description(self, kind, params, limit):
        # Optional: an empty or missing text removes the dedicated one for that language.
        text = params.get(kind) or ""
        if not isinstance(text, str) or len(text) > limit:
            raise bad_request(f"{kind.replace('_', ' ')} is too long")
        with self._lock:
            self._descriptions[(kind, self._language_code(params))] = text
        return True

    def _get_description(self, kind, params):
        with self._lock:
            return {kind: self._descriptions.get((kind, self._language_code(params)), "")}

    def _set_my_description(self, params, files):
        return self._set_description("description", params, MAX_DESCRIPTION_LENGTH)

    def _get_my_description(self, params, files):
        return self._get_description("description", params)

    def _set_my_short_description(self, params, files):
        return self._set_description("short_description", params, MAX_SHORT_DESCRIPTION_LENGTH)

    def _get_my_short_description(self, params, files):
        return self._get_description("short_description", params)

    def _set_chat_menu_button(self, params, files):
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
            raise bad_request("can't parse menu button JSON object")
        if button["type"] == "web_app":
            text, web_app = button.get("text"), button.get("web_app")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("menu button text is empty")
            self._check_web_app(web_app, "menu button")
        chat_id = params.get("chat_id")
        with self._lock:
            if button["type"] == "default":
                self._menu_buttons.pop(chat_id, None)
            else:
                self._menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params, files):
        return self.menu_button(params.get("chat_id"))

    @staticmethod
    def _check_web_app(web_app, where):
        # Telegram opens a Mini App only from https.
        url = web_app.get("url") if isinstance(web_app, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise bad_request(f"{where} Web App URL {url!r} is invalid: Only HTTPS links are allowed")

    def _check_web_app_buttons(self, params):
        markup = params.get("reply_markup")
        rows = (markup.get("inline_keyboard") or markup.get("keyboard") or []) if isinstance(markup, dict) else []
        for row in rows if isinstance(rows, list) else []:
            for button in row if isinstance(row, list) else []:
                if isinstance(button, dict) and "web_app" in button:
                    self._check_web_app(button["web_app"], "inline keyboard button")

    def _close(self, params, files):
        return True

    def _log_out(self, params, files):
        return True
