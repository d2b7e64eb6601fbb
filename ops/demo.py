"""The offline end-to-end run behind `make demo`: the real web server and workers, fake outside world.

A local fake Bot API stands in for Telegram and the local provider makes the media; the web server
(uvicorn) and a django-q2 cluster run as in production, on the demo's SQLite file. A scripted seller
goes through the bot while the transcript is printed.
"""

import io
import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
from django.conf import settings
from django.db.models import Max
from PIL import Image, ImageDraw

from botapp.models import ProcessedUpdate
from tests.fakes.telegram import FakeTelegram

SECRET = "demo-webhook-secret"
SELLER = {"id": 700100200, "is_bot": False, "first_name": "Анна", "username": "anna_demo", "language_code": "ru"}


class Demo:
    examples = {}  # what look_at_examples had sent, by method

    def __init__(self, out):
        self.out = out
        self.telegram = FakeTelegram().start()
        self.port = _free_port()
        self.processes = []
        self.seen = 0
        # Past every id the demo's lasting database has seen (a run a minute ago used ids up to now): seen ids
        # are ignored as Telegram's redeliveries.
        seen = ProcessedUpdate.objects.aggregate(last=Max("update_id"))["last"] or 0
        self.update_id = max(int(time.time()), seen)
        self.photo_id = self.telegram.add_file(_product_photo(), file_path="photos/mug.jpg")

    # --- the world ---------------------------------------------------------------------------
    def start(self):
        env = {
            **os.environ,
            "TELEGRAM_API_BASE_URL": self.telegram.base_url,
            "TELEGRAM_BOT_TOKEN": self.telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "GENERATION_PROVIDER": "local",
            "KIE_API_KEYS": "",
            "OPENAI_API_KEY": "",
            "LOCAL_PROVIDER_DELAY_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
            "Q_WORKERS": "3",
            "TELEGRAM_CHAT_INTERVAL_SECONDS": "0.2",
            "SUPPORT_USERNAME": "neurocards_support",
            # The scripted seller taps faster than any person: the flood limit would stop the script.
            "FLOOD_UPDATES_PER_MINUTE": "200",
            # Its database outlives a run: a second run within the hour must not meet the first one's orders.
            "RATE_LIMIT_GENERATIONS_PER_HOUR": "100",
        }
        base = settings.BASE_DIR
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "neurocards.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "2",
                    "--log-level",
                    "warning",
                ],
                cwd=base,
                env=env,
            )
        )
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=base,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                    raise RuntimeError("the web server did not start") from None
                time.sleep(0.2)
        self.say(
            f"web on :{self.port} (uvicorn, 2 workers), qcluster (3 workers), fake Bot API on "
            f"{self.telegram.base_url}, offline provider"
        )

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.telegram.stop()

    # --- the seller ------------------------------------------------------------------------------
    def send(self, text=None, **message):
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        self.user_says(text if text is not None else f"[{next(iter(message))}]")
        self._post(
            {
                "message": {
                    "message_id": self.update_id,
                    "from": SELLER,
                    "date": int(time.time()),
                    "chat": {"id": SELLER["id"], "type": "private"},
                    **message,
                }
            }
        )

    def send_photo(self, **message):
        size = {"file_id": self.photo_id, "file_unique_id": "demo1", "width": 900, "height": 1200, "file_size": 60_000}
        self.send(photo=[size], **message)

    def tap(self, label_part):
        button = self._button(label_part)
        self.user_says(f"(taps “{button['text']}”)")
        self._post(
            {
                "callback_query": {
                    "id": uuid.uuid4().hex,
                    "from": SELLER,
                    "chat_instance": "demo",
                    "data": button["callback_data"],
                    "message": {
                        "message_id": 1,
                        "date": int(time.time()),
                        "chat": {"id": SELLER["id"], "type": "private"},
                    },
                }
            }
        )

    def look_at_examples(self):
        """A new seller's first tap: what the bot makes (`manage.py seed_examples` published a few).

        The examples arrive as photos and videos too: wait_for counts only what came after them."""
        self.say("the examples, before anything is bought")
        self.tap("Примеры")
        self.examples = {m: len(self.telegram.requests(m, chat_id=SELLER["id"])) for m in ("sendPhoto", "sendVideo")}

    def pay_stars(self):
        """Telegram's side of a Stars purchase: the pre-checkout question, then the successful payment."""
        invoice = self.telegram.requests("sendInvoice", chat_id=SELLER["id"])[-1].params
        amount = invoice["prices"][0]["amount"]
        self.user_says(f"(pays {amount} ⭐ in Telegram)")
        self._post(
            {
                "pre_checkout_query": {
                    "id": uuid.uuid4().hex,
                    "from": SELLER,
                    "currency": "XTR",
                    "total_amount": amount,
                    "invoice_payload": invoice["payload"],
                }
            }
        )
        answer = self.telegram.requests("answerPreCheckoutQuery")[-1].params
        if answer.get("ok") is not True:
            raise RuntimeError(f"pre-checkout refused: {answer}")
        self._post(
            {
                "message": {
                    "message_id": self.update_id,
                    "from": SELLER,
                    "date": int(time.time()),
                    "chat": {"id": SELLER["id"], "type": "private"},
                    "successful_payment": {
                        "currency": "XTR",
                        "total_amount": amount,
                        "invoice_payload": invoice["payload"],
                        "telegram_payment_charge_id": f"stx{uuid.uuid4().hex}",
                        "provider_payment_charge_id": "",
                    },
                }
            }
        )

    def _post(self, update):
        self.update_id += 1
        response = httpx.post(
            f"http://127.0.0.1:{self.port}/telegram/webhook/",
            json={"update_id": self.update_id, **update},
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=60,
        )
        response.raise_for_status()
        self.show_bot()

    def _button(self, label_part, seconds=30):
        # A button may come a moment after what the demo waited for (an order's keyboard rides on its closing
        # message, sent after the last result): it is looked for until it comes, as a seller would wait.
        deadline = time.monotonic() + seconds
        while True:
            for call in reversed(self.telegram.sent(chat_id=SELLER["id"])):
                markup = call.params.get("reply_markup") or {}
                for row in markup.get("inline_keyboard", []):
                    for button in row:
                        if label_part in button["text"] and "callback_data" in button:
                            return button
            if time.monotonic() > deadline:
                raise RuntimeError(f"no button {label_part!r} in the chat")
            time.sleep(0.25)
            self.show_bot()

    # --- the transcript ---------------------------------------------------------------------------
    def wait_for(self, method, count, seconds=90):
        deadline = time.monotonic() + seconds
        while len(self.telegram.requests(method, chat_id=SELLER["id"])) - self.examples.get(method, 0) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"waited {seconds} s for {count} × {method}")
            time.sleep(0.5)
            self.show_bot()
        self.show_bot()

    def show_bot(self):
        sent = self.telegram.sent(chat_id=SELLER["id"])
        for call in sent[self.seen :]:
            text = call.params.get("text") or call.params.get("caption") or ""
            kind = {
                "sendVideo": "[video] ",
                "sendPhoto": "[photo] ",
                "sendDocument": "[file] ",
                "sendInvoice": "[invoice] ",
            }.get(call.method, "")
            if call.method == "sendInvoice":
                text = f"{call.params['title']}: {call.params['prices'][0]['amount']} ⭐"
            size = f" ({len(next(iter(call.files.values()))[1]) // 1024} KB)" if call.files else ""
            self.out.write(f"  bot: {kind}{_plain(text)}{size}")
            buttons = [
                b["text"] for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
            ]
            if buttons:
                self.out.write(f"       [{' | '.join(buttons)}]")
        self.seen = len(sent)

    def user_says(self, text):
        self.out.write(f"anna: {text}")

    def say(self, text):
        self.out.write(f"--- {text}")


def _plain(text):
    for tag in ("<b>", "</b>", "<code>", "</code>"):
        text = text.replace(tag, "")
    return text.replace("\n", "\n       ")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _product_photo():
    image = Image.new("RGB", (900, 1200), (236, 232, 226))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((260, 380, 640, 900), radius=40, fill=(52, 102, 164))
    draw.arc((600, 480, 780, 760), start=-90, end=90, fill=(52, 102, 164), width=36)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
