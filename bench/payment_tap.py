"""How long Telegram's webhook takes to answer a "Buy with YooKassa" tap while YooKassa hangs for 15 s,
against the same tap with an instant YooKassa (the reference), in the same run.

The project is served by uvicorn in a thread, against a throw-away PostgreSQL database, a fake Bot API and
a fake YooKassa (in this process: a tap is not a load test). django-q2 uses the ORM broker and no cluster
runs, so the checkout task stays queued: what is timed is the webhook alone, from just before the POST to
its 200. BENCH_TAPS taps per case (default 5), each by a new user. Target: under 1 s with the hang, close to
the reference. Run: `.venv/bin/python bench/payment_tap.py`.
"""

import itertools
import json
import os
import statistics
import threading
import time
from types import SimpleNamespace

import common

# Production mode; no cluster and no Redis, so the tasks wait in the database; connections closed after
# each use, so that the throw-away database can be dropped at the end.
os.environ.update({"REDIS_URL": "", "Q_SYNC": "false", "DB_CONN_MAX_AGE": "0"})
common.setup_django(
    DJANGO_DEBUG="false",
    SECURE_SSL_REDIRECT="false",
    LOG_LEVEL="ERROR",
    PUBLIC_BASE_URL="https://bot.example.com",
    PAYMENT_METHODS="yookassa,stars",
)

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django_q.models import OrmQ  # noqa: E402

from billing.models import CreditPack  # noqa: E402
from tests.chat import Chat  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.yookassa import FakeYooKassa  # noqa: E402

TAPS = int(os.environ.get("BENCH_TAPS", 5))
HANG_SECONDS = 15
SECRET = "bench-webhook-secret"
_user_ids = itertools.count(730_000_001)


def main():
    with common.throwaway_database("payment_tap"):
        telegram, yookassa = FakeTelegram().start(), FakeYooKassa().start()
        try:
            with serving(telegram, yookassa) as server:
                run(server, telegram, yookassa)
        finally:
            yookassa.stop()
            telegram.stop()


def run(server, telegram, yookassa):
    pack = CreditPack.objects.create(name="Seller", credits=100, price_rub="890.00", price_stars=450)
    tap(server, telegram, pack)  # the first update of a process builds the bot: not timed
    print(f"{TAPS} taps per case, each by a new user; YooKassa timeout {settings.YOOKASSA_TIMEOUT_SECONDS:g} s a try")
    medians = {}
    for label, hang in ((f"YooKassa hangs {HANG_SECONDS} s", HANG_SECONDS), ("instant YooKassa (reference)", 0)):
        yookassa.reset()
        yookassa.hang_seconds = hang
        queued = OrmQ.objects.count()
        times = [tap(server, telegram, pack) for _ in range(TAPS)]
        asked = len(yookassa.requests("POST", "/v3/payments"))
        medians[label] = statistics.median(times)
        print(
            f"{label:>30}: webhook answered in median {medians[label] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"(target < 1000 ms); YooKassa asked during the webhooks: {asked}; "
            f"checkout tasks queued: {OrmQ.objects.count() - queued}"
        )
    hang, reference = medians.values()
    print(f"ratio of the medians, hang / reference: {hang / reference:.2f}")


def tap(server, telegram, pack):
    chat = Chat(server=server, telegram=telegram, user_id=next(_user_ids))
    body = json.dumps(chat.tap_update(f"buy:{pack.pk}:yk"))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    started = time.monotonic()
    # A generous timeout: a webhook that waits for YooKassa takes three of its timeouts.
    response = httpx.post(server.webhook_url, content=body, headers=headers, timeout=120)
    elapsed = time.monotonic() - started
    if response.status_code != 200:
        raise RuntimeError(f"the webhook answered {response.status_code}")
    return elapsed


class serving:
    """The ASGI app under uvicorn in a thread, wired to the fakes."""

    def __init__(self, telegram, yookassa):
        settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE_URL = telegram.token, telegram.base_url
        settings.TELEGRAM_WEBHOOK_SECRET = SECRET
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = yookassa.shop_id, yookassa.secret_key
        settings.YOOKASSA_API_URL = yookassa.api_url
        self.server = uvicorn.Server(
            uvicorn.Config(get_asgi_application(), host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + common.START_TIMEOUT
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return SimpleNamespace(webhook_url=f"http://127.0.0.1:{port}/telegram/webhook/", secret=SECRET)

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


if __name__ == "__main__":
    main()
