"""What a seller feels: tap → reply, Confirm → provider task created, provider done → result delivered.

As in production: uvicorn `neurocards.asgi` with 2 workers and `manage.py qcluster` (Redis broker) as
subprocesses on a throw-away PostgreSQL test database; the fake Bot API, KIE and OpenAI each in a process of
its own. Each figure is measured at idle and with BENCH_LOAD_RATE (30) updates/s of other sellers' taps and
messages posted to the webhook by another process, with a reference from the same run:

- tap → reply: from the POST of a tap (Create video) to the reply at the fake Bot API; reference: the same
  step called directly in this process (`run_turn`, no HTTP, no Telegram);
- Confirm → provider task created: from the POST of Confirm to createTask at the fake KIE, with the fake
  OpenAI answering at once and after 800 ms; reference: the OpenAI time itself;
- provider done → result at the fake Bot API: the fake KIE ends each task at a planned moment (spread over
  BENCH_DONE_MIN..BENCH_DONE_MAX seconds after creation), half of them calling back, half left to the
  poller; reference: downloading the result from the fake KIE and uploading it to the fake Bot API alone.

Queries of a Confirm are counted in this process as bench/webhook.py does. The machine may be busy with other
work: compare each figure with its reference, measured at the same time. Run:
`.venv/bin/python bench/latency.py` (≈ 7 minutes; BENCH_TAPS, BENCH_CONFIRMS, BENCH_DONE_MAX,
BENCH_LOAD_RATE, BENCH_LEVELS=idle,load to shorten it; BENCH_REDIS_URL, redis://127.0.0.1:6379/6 by default).
"""

import asyncio
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common, latency_fakes  # noqa: E402
from bench.latency_report import print_report  # noqa: E402

SECRET = "bench-latency-secret"
TAPS = int(os.environ.get("BENCH_TAPS", 120))
TAP_RATE = float(os.environ.get("BENCH_TAP_RATE", 6))  # timed taps a second, on top of the load
CONFIRMS = int(os.environ.get("BENCH_CONFIRMS", 10))  # per OpenAI latency
CONFIRM_EVERY = float(os.environ.get("BENCH_CONFIRM_EVERY", 1.0))
DONE_MIN = float(os.environ.get("BENCH_DONE_MIN", 5))
DONE_MAX = float(os.environ.get("BENCH_DONE_MAX", 150))
LOAD_RATE = float(os.environ.get("BENCH_LOAD_RATE", 30))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", 300))
LEVELS = [level for level in os.environ.get("BENCH_LEVELS", "idle,load").split(",") if level]
OPENAI_LATENCIES = (0.0, 0.8)
QUERY_SAMPLES = int(os.environ.get("BENCH_QUERY_SAMPLES", 10))
FILE_SAMPLES = 10
PREPARE_CONCURRENCY = 16
REPLY_TIMEOUT = 30
TASK_TIMEOUT = 90  # Confirm → task created, at the very worst
DELIVERY_TIMEOUT = 90  # past a task's planned end
DESCRIPTION = "Керамическая кружка ручной работы, 350 мл"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
RESULT_METHODS = ("sendVideo", "sendPhoto", "sendDocument", "sendMediaGroup")
REFERENCE_CHAT = 699_999_999
_chat_ids = itertools.count(710_000_001)


# --- replies at the fake Bot API, told by its process --------------------------------------------------


class Replies:
    """Reads the fake Bot API's events in a thread: every reply by chat, and futures for the next one."""

    def __init__(self, events):
        self.events = events
        self.log = {}  # chat id -> [(method, at, first button)]
        self._waiting = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while True:
            event = self.events.get()
            if event is None:
                return
            chat_id, method, at, button = event
            with self._lock:
                self.log.setdefault(chat_id, []).append((method, at, button))
                future = self._waiting.pop(chat_id, None)
            if future is not None:
                future.get_loop().call_soon_threadsafe(_settle, future, at)

    def expect(self, chat_id):
        """A future settled with the arrival of the next reply to chat_id (call before sending)."""
        future = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting[chat_id] = future
        return future

    def of(self, chat_id):
        with self._lock:
            return list(self.log.get(chat_id, ()))

    def last_button(self, chat_id):
        return next((button for _, _, button in reversed(self.of(chat_id)) if button), None)

    def stop(self):
        self.events.put(None)
        self._thread.join(5)


def _settle(future, value):
    if not future.done():
        future.set_result(value)


# --- updates -------------------------------------------------------------------------------------------

GRANT = "grant credits"
# The steps between the wishes and the count that the settings ask for (the length, the model): their first
# choice is taken.
FIRST_CHOICES = "first choices"


def new_chats(count):
    from tests.chat import Chat

    return [Chat(server=None, telegram=None, user_id=next(_chat_ids)) for _ in range(count)]


def start(chat):
    return chat.message_update(text="/start")


def tap(data):
    def update(chat):
        return chat.tap_update(data)

    update.__name__ = f"tap {data}"
    return update


def text(value):
    def update(chat):
        return chat.message_update(text=value)

    update.__name__ = f"text {value[:20]}"
    return update


def photo(chat):
    sizes = [
        {"file_id": f"small-{w}", "file_unique_id": f"AQAD{w}", "width": w, "height": w * 4 // 3, "file_size": 900 * w}
        for w in (90, 320)
    ]
    largest = {"file_id": latency_fakes.PHOTO_FILE_ID, "file_unique_id": "AQADlarge", "width": 1280, "height": 1707}
    return chat.message_update(photo=[*sizes, largest])


TO_CONFIRMATION = [
    start,
    GRANT,
    tap("menu:video"),
    photo,
    text(DESCRIPTION),
    tap("flow:tpl:ugc"),
    text("-"),
    FIRST_CHOICES,
    tap("flow:n:1"),
]


# --- driving -------------------------------------------------------------------------------------------


class Webhook:
    def __init__(self, base_url):
        import httpx

        self.url = f"{base_url}/telegram/webhook/"
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2)
        self.client = httpx.AsyncClient(limits=limits, timeout=REPLY_TIMEOUT)

    async def __call__(self, update):
        response = await self.client.post(self.url, content=json.dumps(update), headers=HEADERS)
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:200]}")

    async def close(self):
        await self.client.aclose()


async def exchange(replies, send, chat, update):
    """Send one update; (sent at, its reply's arrival at the fake Bot API)."""
    reply = replies.expect(chat.id)
    sent_at = time.monotonic()
    await send(update)
    return sent_at, await asyncio.wait_for(reply, REPLY_TIMEOUT)


async def each(items, concurrency, func):
    gate = asyncio.Semaphore(concurrency)

    async def one(item):
        async with gate:
            return await func(item)

    return await asyncio.gather(*(one(item) for item in items))


async def prepare(replies, send, chats, steps):
    for step in steps:
        if step is GRANT:
            await asyncio.to_thread(_closing(common.grant_credits), [chat.id for chat in chats])
        elif step is FIRST_CHOICES:
            await each(chats, PREPARE_CONCURRENCY, lambda chat: _first_choices(replies, send, chat))
        else:
            await each(chats, PREPARE_CONCURRENCY, lambda chat, step=step: _step(replies, send, chat, step))


async def _first_choices(replies, send, chat):
    for _ in range(3):
        button = replies.last_button(chat.id) or ""
        if button.startswith("flow:n:"):
            return
        await _step(replies, send, chat, tap(button))


async def _step(replies, send, chat, step):
    try:
        return await exchange(replies, send, chat, step(chat))
    except TimeoutError:
        so_far = replies.of(chat.id)
        raise RuntimeError(f"chat {chat.id}: no reply to {step.__name__}; replies so far {so_far}") from None


def _closing(func):
    """Run ORM code in a worker thread and close that thread's connections after it."""

    def run(*args):
        from django.db import connections

        try:
            return func(*args)
        finally:
            connections.close_all()

    return run


async def paced(items, rate, func):
    """func(item) for each item, started `rate` a second whatever the earlier ones are doing."""
    started = time.monotonic()

    async def one(index, item):
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        return await func(item)

    return await asyncio.gather(*(one(index, item) for index, item in enumerate(items)))


# --- the figures of one level (idle or at load) ----------------------------------------------------------


@dataclass
class Level:
    name: str
    load: dict | None = None
    taps: list = field(default_factory=list)  # seconds, tap → reply
    tap_reference: list = field(default_factory=list)  # seconds, run_turn alone
    confirms: dict = field(default_factory=dict)  # OpenAI latency -> [seconds]
    deliveries: dict = field(default_factory=dict)  # "callbacks" | "polling" -> [(generation's seconds, delay)]
    undelivered: dict = field(default_factory=dict)
    file_reference: list = field(default_factory=list)
    callback_urls: int = 0
    reads: tuple = ()


async def tap_phase(level, replies, send):
    chats = new_chats(TAPS)
    await prepare(replies, send, chats, [start])

    async def timed(chat):
        sent_at, replied_at = await exchange(replies, send, chat, chat.tap_update("menu:video"))
        return replied_at - sent_at

    level.taps = await paced(chats, TAP_RATE, timed)
    level.tap_reference = await asyncio.to_thread(_closing(tap_reference), TAPS)


def tap_reference(count):
    """The tap's step called directly: its transaction, no HTTP, no Telegram (prepared the same way)."""
    from django.conf import settings
    from telegram import Bot, Update

    from botapp import commands
    from botapp.turns import run_turn

    bot = Bot(settings.TELEGRAM_BOT_TOKEN)  # never called: de_json only links the update to a bot
    seconds = []
    for chat in new_chats(count):
        run_turn(Update.de_json(start(chat), bot), commands.start)
        update = Update.de_json(chat.tap_update("menu:video"), bot)
        began = time.perf_counter()
        run_turn(update, commands.on_menu)
        seconds.append(time.perf_counter() - began)
    return seconds


def done_plan(count):
    """(seconds after creation, callbacks) for the next `count` tasks: ends spread evenly, every other one
    calling back."""
    spread = [(index * 0.6180339887) % 1 for index in range(count)]
    return [(DONE_MIN + (DONE_MAX - DONE_MIN) * fraction, index % 2 == 0) for index, fraction in enumerate(spread)]


async def confirm_phase(level, replies, send, kie, openai):
    chats = {latency: new_chats(CONFIRMS) for latency in OPENAI_LATENCIES}
    everyone = [chat for group in chats.values() for chat in group]
    await prepare(replies, send, everyone, TO_CONFIRMATION)
    kie.ask(("plan", done_plan(len(everyone))))
    sent_at = {}
    for latency, group in chats.items():
        openai.ask(("latency", latency))

        async def confirm(chat):
            button = replies.last_button(chat.id)
            if not button or not button.startswith("flow:ok:"):
                raise RuntimeError(f"chat {chat.id}: no confirmation screen (last button {button!r})")
            sent_at[chat.id] = time.monotonic()
            await send(chat.tap_update(button))

        await paced(group, 1 / CONFIRM_EVERY, confirm)
        # The last one's task before the OpenAI latency changes.
        await asyncio.to_thread(_closing(wait_for_tasks), [chat.id for chat in group], TASK_TIMEOUT)
    tasks_by_chat = await asyncio.to_thread(_closing(wait_for_tasks), list(sent_at), TASK_TIMEOUT)
    tasks = kie.ask(("tasks",))
    for latency, group in chats.items():
        level.confirms[latency] = [
            tasks[tasks_by_chat[chat.id]]["created"] - sent_at[chat.id] for chat in group if chat.id in tasks_by_chat
        ]
    return {chat_id: tasks[task_id] for chat_id, task_id in tasks_by_chat.items()}


def wait_for_tasks(chat_ids, timeout):
    """chat id -> provider task id, once every chat's generation has one (or the timeout passed)."""
    from generations.models import Generation

    deadline = time.monotonic() + timeout
    while True:
        rows = Generation.objects.filter(user__telegram_id__in=chat_ids).exclude(provider_task_id="")
        found = dict(rows.values_list("user__telegram_id", "provider_task_id"))
        if len(found) == len(chat_ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


async def delivery_phase(level, replies, tasks):
    deadline = max(task["done"] for task in tasks.values()) + DELIVERY_TIMEOUT
    delivered = {}
    while len(delivered) < len(tasks) and time.monotonic() < deadline:
        for chat_id in tasks:
            if chat_id not in delivered:
                at = next((at for method, at, _ in replies.of(chat_id) if method in RESULT_METHODS), None)
                if at is not None:
                    delivered[chat_id] = at
        await asyncio.sleep(0.25)
    level.callback_urls = sum(task["callback_url"] for task in tasks.values())
    for chat_id, task in tasks.items():
        mode = "callbacks" if task["callbacks"] else "polling"
        if chat_id in delivered:
            level.deliveries.setdefault(mode, []).append((task["after"], delivered[chat_id] - task["done"]))
        else:
            level.undelivered[mode] = level.undelivered.get(mode, 0) + 1
    urls = [task["result_url"] for chat_id, task in tasks.items() if chat_id in delivered]
    level.file_reference = await asyncio.to_thread(file_reference, urls)


def file_reference(urls):
    """Downloading a result from the fake KIE and uploading it to the fake Bot API, alone."""
    import httpx
    from django.conf import settings

    seconds = []
    upload = f"{settings.TELEGRAM_API_BASE_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/sendVideo"
    with httpx.Client(timeout=30) as client:
        for url in (urls * FILE_SAMPLES)[:FILE_SAMPLES]:
            began = time.perf_counter()
            content = client.get(url).raise_for_status().content
            client.post(
                upload, data={"chat_id": str(REFERENCE_CHAT)}, files={"video": ("result.mp4", content, "video/mp4")}
            ).raise_for_status()
            seconds.append(time.perf_counter() - began)
    return seconds


async def measure_level(name, web, replies, kie, openai, load_handle):
    level = Level(name)
    send = Webhook(web.base_url)
    try:
        await tap_phase(level, replies, send)
        tasks = await confirm_phase(level, replies, send, kie, openai)
        await delivery_phase(level, replies, tasks)
    finally:
        await send.close()
    if load_handle is not None:
        level.load = load_handle.ask("counts")
    level.reads = kie.ask(("reads",))
    return level


# --- queries of a Confirm, in this process ----------------------------------------------------------------


async def count_confirm_queries(replies, counter):
    from telegram import Update

    from botapp.application import build

    app = build()
    await app.initialize()

    async def send(update):
        await app.process_update(Update.de_json(update, app.bot))

    try:
        chats = new_chats(QUERY_SAMPLES)
        await prepare(replies, send, chats, TO_CONFIRMATION)
        before = counter.snapshot()
        for chat in chats:  # one at a time: every statement counted belongs to a Confirm
            await exchange(replies, send, chat, chat.tap_update(replies.last_button(chat.id)))
        after = counter.snapshot()
        return {name: (after[name] - before[name]) / QUERY_SAMPLES for name in after}
    finally:
        await app.shutdown()


# --- the run ---------------------------------------------------------------------------------------------


def spawn(name, command, env):
    from bench.webhook_servers import Server

    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, process, "", log)


def start_web(env, port):
    command = [sys.executable, "-m", "uvicorn", "neurocards.asgi:application", "--workers", "2"]
    server = spawn("uvicorn", [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env)
    server.base_url = f"http://127.0.0.1:{port}"
    return server


def start_cluster(env):
    subprocess.run([sys.executable, "manage.py", "setup_schedules", "--skip-checks"], cwd=ROOT, env=env, check=True)
    return spawn("qcluster", [sys.executable, "manage.py", "qcluster"], env)


async def drive(web, replies, handles, counter):
    send = Webhook(web.base_url)
    try:  # each worker's first update initialises its bot and opens its connections
        await each(new_chats(16), 8, lambda chat: exchange(replies, send, chat, start(chat)))
    finally:
        await send.close()
    levels = []
    for name in LEVELS:
        rate = LOAD_RATE if name == "load" else 0
        with ExitStack() as stack:
            load = None
            if rate:
                load = stack.enter_context(
                    common.fake_in_child(
                        latency_fakes.serve_load,
                        f"{web.base_url}/telegram/webhook/",
                        SECRET,
                        rate,
                        LOAD_USERS,
                        800_000_001,
                    )
                )
                await asyncio.sleep(LOAD_USERS / rate)  # past the load users' /start
            levels.append(await measure_level(name, web, replies, handles["kie"], handles["openai"], load))
    queries = await count_confirm_queries(replies, counter)
    return levels, queries


def environment(handles, port, media_root):
    telegram, kie, openai = handles["telegram"], handles["kie"], handles["openai"]
    return {
        "DJANGO_SETTINGS_MODULE": "neurocards.settings",
        "SECRET_KEY": "bench-only-not-a-secret",
        # Production mode, as deployed; stars only, so the start-up checks need no YooKassa secrets.
        "DJANGO_DEBUG": "false",
        "PAYMENT_METHODS": "stars",
        "LOG_LEVEL": "WARNING",
        "WELCOME_CREDITS": "0",
        "FLOOD_UPDATES_PER_MINUTE": "1000000",
        "RATE_LIMIT_GENERATIONS_PER_HOUR": "1000000",
        "MAX_QUEUE_SIZE": "1000000",
        "MAX_ACTIVE_ORDERS": "1000000",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "GENERATION_PROVIDER": "kie",
        "KIE_API_KEYS": kie.key,
        "KIE_API_BASE_URL": kie.base_url,
        "KIE_UPLOAD_BASE_URL": kie.base_url,
        # KIE calls back to the web server on this machine (http, loopback only: see KIE_CALLBACK_BASE_URL).
        "KIE_CALLBACK_BASE_URL": f"http://127.0.0.1:{port}",
        "PROVIDER_FETCH_ALLOW_LOOPBACK": "true",
        "OPENAI_API_KEY": openai.api_key,
        "OPENAI_BASE_URL": openai.base_url,
        "MEDIA_ROOT": media_root,
    }


def main():
    began = time.monotonic()
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    with ExitStack() as stack:
        handles = {
            "telegram": stack.enter_context(common.fake_in_child(latency_fakes.serve_telegram, events)),
            "kie": stack.enter_context(common.fake_in_child(latency_fakes.serve_kie)),
            "openai": stack.enter_context(common.fake_in_child(latency_fakes.serve_openai)),
        }
        from bench.webhook_servers import free_port

        port = free_port()
        media_root = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-latency-"))
        os.environ.update(environment(handles, port, media_root))
        common.setup_django()
        from django.db.backends.signals import connection_created

        from bench.webhook_report import QueryCounter
        from bench.webhook_servers import server_env, wait_until_up

        counter = QueryCounter()
        connection_created.connect(counter.install)
        stack.enter_context(common.throwaway_database("latency"))
        env = server_env(handles["telegram"])
        replies = Replies(events)
        stack.callback(replies.stop)
        servers = []
        try:
            servers.append(start_web(env, port))
            servers.append(start_cluster(env))
            wait_until_up(servers[0], "healthz")
            levels, queries = asyncio.run(drive(servers[0], replies, handles, counter))
        except BaseException:
            for server in servers:
                print(f"--- {server.name} (exit code {server.process.poll()}) logged:", file=sys.stderr)
                print(*server.log_lines()[-30:], sep="\n", file=sys.stderr)
            raise
        finally:
            for server in servers:
                server.stop()
            counter.close_all()
        logs = {server.name: server.log_lines() for server in servers}
        # Before the clean-up: dropping the database waits for a checkpoint, long on a busy machine.
        print_report(levels, queries, logs, handles["telegram"].ask("too many"), time.monotonic() - began)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
