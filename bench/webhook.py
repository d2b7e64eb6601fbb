"""Webhook updates per second and p50/p99 latency: uvicorn with 2 workers against python-telegram-bot's own
webhook server serving the same handlers, in the same run.

Three updates are timed, each on users of its own: `/start` from a new user, a text step (the product
description of the video flow) and the Confirm of a video order. Both servers talk to a fake Bot API in
this process and to a throw-away PostgreSQL test database. PTB's server acknowledges an update before
handling it, so both are timed end to end: from just before the POST to the arrival of the update's reply
at the fake Bot API; throughput is updates / (first POST to last reply). Queries per update are counted
in this process (every statement on every connection of every thread) for the timed update only.
Run: `.venv/bin/python bench/webhook.py` (BENCH_UPDATES per scenario; the reference needs tornado).
"""

import asyncio
import itertools
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram import FakeTelegram  # noqa: E402

SECRET = "bench-webhook-secret"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neurocards.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DATABASE_URL", "postgres://neurocards:neurocards@127.0.0.1:5432/neurocards")
os.environ.update(
    {
        # Production mode, as deployed; stars only, so the start-up checks need no YooKassa secrets.
        "DJANGO_DEBUG": "false",
        "PAYMENT_METHODS": "stars",
        "TELEGRAM_BOT_TOKEN": FakeTelegram.TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "WELCOME_CREDITS": "0",
        # Limits that would refuse a bench's hundreds of users and orders per minute.
        "FLOOD_UPDATES_PER_MINUTE": "1000000",
        "RATE_LIMIT_GENERATIONS_PER_HOUR": "1000000",
        "MAX_QUEUE_SIZE": "1000000",
        "MAX_ACTIVE_ORDERS": "1000000",
    }
)

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402

from bench import common  # noqa: E402
from bench.webhook_report import (  # noqa: E402
    CONCURRENCY,
    QUERY_SAMPLES,
    QueryCounter,
    check_database,
    cpu_seconds,
    cpu_used,
    print_report,
    problems_in,
)
from bench.webhook_servers import (  # noqa: E402
    WEBHOOK_PATH,
    serve_reference,
    server_env,
    start_ours,
    start_reference,
    wait_until_up,
)
from tests.chat import Chat, image  # noqa: E402

UPDATES = int(os.environ.get("BENCH_UPDATES", 600))
PREPARE_CONCURRENCY = 64
WARMUP_UPDATES = 16
REPLY_TIMEOUT = 30
DESCRIPTION = "Керамическая кружка ручной работы, 350 мл"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
_chat_ids = itertools.count(700_000_001)


# --- the fake Bot API, which also tells the driver when a chat got its reply ---------------------


class RepliesFake(FakeTelegram):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._waiting = {}
        self._waiting_lock = threading.Lock()

    def expect(self, chat_id):
        """A future settled by the next sendMessage to chat_id (call before the update is sent)."""
        future = asyncio.get_running_loop().create_future()
        with self._waiting_lock:
            self._waiting[chat_id] = future
        return future

    def _send_message(self, params, files):
        result = super()._send_message(params, files)
        with self._waiting_lock:
            future = self._waiting.pop(params.get("chat_id"), None)
        if future is not None:
            future.get_loop().call_soon_threadsafe(_settle, future)
        return result


def _settle(future):
    if not future.done():
        future.set_result(None)


# --- updates -----------------------------------------------------------------------------------

GRANT = "grant credits"
# The steps between the wishes and the count the settings add (the length when several are priced, the model):
# their first choice is taken, for the chats asked.
FIRST_CHOICES = "first choices"


def start(chat, last=None):
    return chat.message_update(text="/start")


def tap(data):
    return lambda chat, last=None: chat.tap_update(data)


def text(value):
    return lambda chat, last=None: chat.message_update(text=value)


# The product photo the fake Bot API serves: the bot downloads and checks it at the photo step.
PHOTO_FILE_ID = "bench-photo"


def photo(chat, last=None):
    sizes = [
        {
            "file_id": PHOTO_FILE_ID if w == 1280 else f"bench-photo-{chat.id}-{w}",
            "file_unique_id": f"AQAD{w}",
            "width": w,
            "height": w * 4 // 3,
            "file_size": 900 * w,
        }
        for w in (90, 320, 1280)
    ]
    return chat.message_update(photo=sizes)


def confirm(chat, last):
    """A tap on the first button of the confirmation screen (flow:ok:<token>)."""
    return chat.tap_update(last.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


def markup_has(data):
    return lambda call: data in json.dumps(call.params.get("reply_markup"))


@dataclass(eq=False)
class Scenario:
    name: str
    prepare: list
    timed: object
    reply_ok: object  # what the timed update's reply must look like
    # Of UPDATES: preparing a user costs one update per step, and the run must stay within minutes.
    share: float

    @property
    def updates(self):
        return max(CONCURRENCY, round(UPDATES * self.share))


SCENARIOS = [
    Scenario("/start", [], start, markup_has("menu:video"), share=1),
    Scenario(
        "text step", [start, tap("menu:video"), photo], text(DESCRIPTION), markup_has("flow:tpl:ugc"), share=1 / 2
    ),
    Scenario(
        "Confirm",
        [
            start,
            GRANT,
            tap("menu:video"),
            photo,
            text(DESCRIPTION),
            tap("flow:tpl:ugc"),
            text("-"),
            FIRST_CHOICES,
            tap("flow:n:1"),
        ],
        confirm,
        lambda call: call.params.get("reply_markup") is None,  # "Accepted…" has no keyboard; refusals do
        share=1 / 4,
    ),
]


def new_chats(count):
    return [Chat(server=None, telegram=None, user_id=next(_chat_ids)) for _ in range(count)]


# --- driving -----------------------------------------------------------------------------------


class Webhook:
    """Posts updates to a server's webhook URL, as Telegram does."""

    def __init__(self, base_url):
        self.url = f"{base_url}/{WEBHOOK_PATH}"
        # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them: a request
        # sent on a connection the server is closing at that moment fails with a reset.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2)
        self.client = httpx.AsyncClient(limits=limits, timeout=REPLY_TIMEOUT)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.client.aclose()

    async def __call__(self, update):
        response = await self.client.post(self.url, content=json.dumps(update), headers=HEADERS)
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:200]}")


async def exchange(fake, send, chat, update):
    """Send one update and wait for its reply at the fake; returns when the update was sent."""
    reply = fake.expect(chat.id)
    sent_at = time.monotonic()
    await send(update)
    try:
        await asyncio.wait_for(reply, REPLY_TIMEOUT)
    except TimeoutError:
        said = [(call.method, call.params.get("text", "")[:60]) for call in fake.requests(chat_id=chat.id)]
        raise RuntimeError(f"chat {chat.id}: no reply to {json.dumps(update)[:300]}; it was told {said}") from None
    return sent_at


async def each(items, concurrency, func):
    gate = asyncio.Semaphore(concurrency)

    async def one(item):
        async with gate:
            return await func(item)

    return await asyncio.gather(*(one(item) for item in items))


async def prepare(fake, send, chats, steps):
    for step in steps:
        if step is GRANT:
            await asyncio.to_thread(common.grant_credits, [chat.id for chat in chats])
        elif step is FIRST_CHOICES:
            for _ in range(3):
                asked = [(chat, first_button(fake, chat)) for chat in chats]
                asked = [(chat, data) for chat, data in asked if data and not data.startswith("flow:n:")]
                if not asked:
                    break
                await each(
                    asked, PREPARE_CONCURRENCY, lambda pair: exchange(fake, send, pair[0], pair[0].tap_update(pair[1]))
                )
        else:
            await each(chats, PREPARE_CONCURRENCY, lambda chat, step=step: exchange(fake, send, chat, step(chat)))


def first_button(fake, chat):
    calls = fake.requests("sendMessage", chat_id=chat.id)
    markup = calls[-1].params.get("reply_markup") if calls else None
    try:
        return markup["inline_keyboard"][0][0]["callback_data"]
    except (TypeError, KeyError, IndexError):
        return None


def timed_updates(fake, scenario, chats):
    last = {}
    for call in fake.requests("sendMessage"):
        last[call.params.get("chat_id")] = call
    return [(chat, scenario.timed(chat, last.get(chat.id))) for chat in chats]


@dataclass
class Run:
    server: str
    scenario: Scenario
    sent_at: dict  # chat id -> when its timed update was sent
    cpu: dict  # CPU seconds used during the timed part: server, postgres, driver


async def measure(fake, send, server, scenario, process):
    chats = new_chats(scenario.updates)
    await prepare(fake, send, chats, scenario.prepare)
    updates = timed_updates(fake, scenario, chats)
    cpu_before = cpu_seconds(process)
    sent = await each(updates, CONCURRENCY, lambda pair: exchange(fake, send, *pair))
    cpu = cpu_used(cpu_before, cpu_seconds(process))
    return Run(server, scenario, {chat.id: at for (chat, _), at in zip(updates, sent, strict=True)}, cpu)


async def warm_up(fake, send):
    # The first update in each worker initialises its bot (getMe) and opens its database connections.
    await each(new_chats(WARMUP_UPDATES), 8, lambda chat: exchange(fake, send, chat, start(chat)))


# --- queries per update, in this process ----------------------------------------------------------


async def count_queries(fake, counter):
    from telegram import Update

    from botapp.application import build

    app = build()
    await app.initialize()

    async def send(update):
        await app.process_update(Update.de_json(update, app.bot))

    try:
        per_update = {}
        for scenario in SCENARIOS:
            chats = new_chats(QUERY_SAMPLES)
            await prepare(fake, send, chats, scenario.prepare)
            before = counter.snapshot()
            # One at a time, so that every statement counted belongs to the timed update.
            for chat, update in timed_updates(fake, scenario, chats):
                await exchange(fake, send, chat, update)
            after = counter.snapshot()
            per_update[scenario.name] = {name: (after[name] - before[name]) / QUERY_SAMPLES for name in after}
        return per_update
    finally:
        await app.shutdown()


# --- the run -------------------------------------------------------------------------------------


async def drive(fake, servers, counter):
    for server in servers:
        async with Webhook(server.base_url) as webhook:
            await warm_up(fake, webhook)
    runs = []
    for scenario in SCENARIOS:
        for server in servers:
            async with Webhook(server.base_url) as webhook:
                runs.append(await measure(fake, webhook, server.name, scenario, server.process))
    queries = await count_queries(fake, counter)
    return runs, queries


def run(fake, counter, started):
    env = server_env(fake)
    ours, reference = start_ours(env), start_reference(env)
    try:
        wait_until_up(ours, "healthz")
        wait_until_up(reference, WEBHOOK_PATH)
        runs, queries = asyncio.run(drive(fake, [ours, reference], counter))
        time.sleep(0.5)  # a late second reply would arrive by now
    except BaseException:
        for server in (ours, reference):
            print(
                f"--- {server.name} (exit code {server.process.poll()}) logged:",
                *server.log_lines()[-30:],
                sep="\n",
                file=sys.stderr,
            )
        raise
    finally:
        for server in (ours, reference):
            server.stop()
    calls = fake.requests()
    confirms = sum(len(run.sent_at) for run in runs if run.scenario.name == "Confirm") + QUERY_SAMPLES
    problems = problems_in(runs, calls) + check_database(confirms)
    for server in (ours, reference):
        lines = server.log_lines()
        if lines:
            problems.append(f"{server.name} logged {len(lines)} lines, first: {lines[0][:200]}")
    print_report(runs, calls, queries, time.monotonic() - started)
    print(
        "checks: "
        + (
            "; ".join(problems)
            if problems
            else "every timed update got exactly one reply; generations = confirms; ledger balanced"
        )
    )
    return not problems


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--reference-server":
        serve_reference(int(sys.argv[2]), secret=SECRET)
        return
    if connection.vendor != "postgresql":
        sys.exit("bench/webhook.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    try:
        import tornado  # noqa: F401
    except ImportError:
        sys.exit("bench/webhook.py: the reference server needs tornado: pip install 'python-telegram-bot[webhooks]'")
    started = time.monotonic()
    counter = QueryCounter()
    connection_created.connect(counter.install)
    old_name = connection.settings_dict["NAME"]
    # Not pytest's test_<name>: autoclobber would drop the database of a test run going on beside us.
    connection.settings_dict["TEST"]["NAME"] = f"test_{old_name}_webhook_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    counter.install(connection=connection)
    fake = RepliesFake(latency=0.0).start()
    fake.add_file(image("JPEG"), file_id=PHOTO_FILE_ID)
    settings.TELEGRAM_API_BASE_URL = fake.base_url
    ok = False
    try:
        ok = run(fake, counter, started)
    finally:
        fake.stop()
        counter.close_all()
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
