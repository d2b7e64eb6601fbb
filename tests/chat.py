"""A seller's side of the chat: real Update JSON posted to the real webhook URL of a live server."""

import copy
import io
import itertools
import json
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
_update_ids = itertools.count(int(time.time()) * 1000)
_message_ids = itertools.count(1000)


def image(fmt="JPEG", size=(600, 800)):
    """A product picture in `fmt` (JPEG, PNG, WEBP), as a seller's phone would send it."""
    picture = Image.new("RGB", size, (245, 245, 245))
    width, height = size
    ImageDraw.Draw(picture).ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(200, 60, 60))
    buffer = io.BytesIO()
    picture.save(buffer, fmt)
    return buffer.getvalue()


def fixture(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


class Chat:
    """Drives one Telegram user through the bot and reads back what the bot sent them."""

    def __init__(
        self, *, server, telegram, user_id=111222333, first_name="Анна", username="anna_seller", language_code="ru"
    ):
        self.server, self.telegram = server, telegram
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "username": username,
            "language_code": language_code,
        }
        self.seen = 0

    @property
    def id(self):
        return self.user["id"]

    # --- what the user does -----------------------------------------------------------------
    def post(self, update, *, secret=None):
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.server.secret if secret is None else secret}
        body = update if isinstance(update, (bytes, str)) else json.dumps(update)
        return httpx.post(self.server.webhook_url, content=body, headers=headers, timeout=30)

    def message_update(self, **fields):
        message = {
            "message_id": next(_message_ids),
            "from": self.user,
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.user["first_name"]},
        }
        text = fields.get("text") or ""
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message.update(fields)
        return {"update_id": next(_update_ids), "message": message}

    def send(self, text):
        return self._expect_ok(self.message_update(text=text))

    def send_photo(
        self, *, file_id="AgACAgIAAxkBAAIBPhoto", file_size=250_000, caption=None, content=None, media_group_id=None
    ):
        """A photo in Telegram's sizes; the fake Bot API serves `content` (a JPEG by default) as the largest.
        With `media_group_id` it is one photo of an album (Telegram sends each as an update of its own)."""
        self.telegram.add_file(image("JPEG") if content is None else content, file_id=file_id)
        sizes = [
            {
                "file_id": f"{file_id}-{w}",
                "file_unique_id": f"AQAD{w}",
                "width": w,
                "height": w * 4 // 3,
                "file_size": (file_size or 250_000) // (4 - i),
            }
            for i, w in enumerate((90, 320, 800))
        ]
        largest = {"file_id": file_id, "file_unique_id": "AQADlarge", "width": 1280, "height": 1707}
        if file_size is not None:
            largest["file_size"] = file_size
        fields = {"photo": [*sizes, largest]}
        if caption is not None:
            fields["caption"] = caption
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return self._expect_ok(self.message_update(**fields))

    def send_document(
        self,
        *,
        mime_type="image/png",
        file_size=1_200_000,
        file_name="product.png",
        file_id="BQACAgIAAxkBAAIBDoc",
        content=None,
    ):
        """A file; the fake Bot API serves `content` (by default an image of the format `mime_type` names)."""
        if content is None:
            content = image({"image/jpeg": "JPEG", "image/webp": "WEBP"}.get(mime_type, "PNG"))
        self.telegram.add_file(content, file_id=file_id)
        document = {"file_name": file_name, "mime_type": mime_type, "file_id": file_id, "file_unique_id": "AgADdoc"}
        if file_size is not None:
            document["file_size"] = file_size
        return self._expect_ok(self.message_update(document=document))

    def send_sticker(self):
        sticker = {
            "file_id": "CAACAgIAAxkBAAIBSticker",
            "file_unique_id": "AgADst",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._expect_ok(self.message_update(sticker=sticker))

    def tap_update(self, data, *, message_id=1):
        return {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": str(next(_update_ids)),
                "from": self.user,
                "chat_instance": "-123456789",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "from": {"id": 123456789, "is_bot": True, "first_name": "NeuroCards"},
                    "chat": {"id": self.id, "type": "private"},
                    "text": "…",
                },
            },
        }

    def tap(self, data):
        return self._expect_ok(self.tap_update(data))

    def tap_button(self, label_part):
        """Tap the button whose label contains `label_part` in the last keyboard the bot sent."""
        for row in reversed(self.last_keyboard()):
            for button in row:
                if label_part in button["text"] and "callback_data" in button:
                    return self.tap(button["callback_data"])
        raise AssertionError(f"no button {label_part!r} in {self.last_keyboard()}")

    def _expect_ok(self, update):
        response = self.post(update)
        assert response.status_code == 200, response.text
        return update

    # --- what the bot did -------------------------------------------------------------------
    def sent(self):
        return self.telegram.sent(chat_id=self.id)

    def replies(self):
        """Texts the bot sent this user since the last call."""
        sent = self.sent()
        new, self.seen = sent[self.seen :], len(sent)
        return [call.params.get("text") or call.params.get("caption") or "" for call in new]

    def last_reply(self):
        replies = self.replies()
        assert replies, "the bot sent nothing"
        return replies[-1]

    def last_keyboard(self):
        """The inline keyboard of the last message the bot sent this user ([] when it had none)."""
        sent = self.sent()
        markup = sent[-1].params.get("reply_markup") if sent else None
        return markup["inline_keyboard"] if markup else []

    def buttons(self):
        return [button["text"] for row in self.last_keyboard() for button in row]

    def toasts(self):
        return [call.params.get("text") for call in self.telegram.requests("answerCallbackQuery")]


def with_changes(update, **message_fields):
    changed = copy.deepcopy(update)
    changed["update_id"] = next(_update_ids)
    changed.setdefault("message", {}).update(message_fields)
    return changed
