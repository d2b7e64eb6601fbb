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
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram import USER_VISIBLE_METHODS, FakeTelegram  # noqa: E402

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

from tests.chat import Chat  # noqa: E402

UPDATES = int(os.environ.get("BENCH_UPDATES", 600))
CONCURRENCY = 32
PREPARE_CONCURRENCY = 64
WARMUP_UPDATES = 16
QUERY_SAMPLES = 30
WORKERS = 2
# PTB handles updates one at a time unless told otherwise; 64 is above the bench's 32 in flight.
REFERENCE_CONCURRENCY = 64
REPLY_TIMEOUT = 30
START_TIMEOUT = 60
DESCRIPTION = "Керамическая кружка ручной работы, 350 мл"
WEBHOOK_PATH = "telegram/webhook/"
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


def start(chat, last=None):
    return chat.message_update(text="/start")


def tap(data):
    return lambda chat, last=None: chat.tap_update(data)


def text(value):
    return lambda chat, last=None: chat.message_update(text=value)


def photo(chat, last=None):
    sizes = [
        {
            "file_id": f"bench-photo-{chat.id}-{w}",
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
        [start, GRANT, tap("menu:video"), photo, text(DESCRIPTION), tap("flow:tpl:ugc"), text("-"), tap("flow:n:1")],
        confirm,
        lambda call: call.params.get("reply_markup") is None,  # "Accepted…" has no keyboard; refusals do
        share=1 / 4,
    ),
]


def new_chats(count):
    return [Chat(server=None, telegram=None, user_id=next(_chat_ids)) for _ in range(count)]


def grant_credits(chat_ids):
    from accounts.models import TelegramUser
    from billing import ledger

    for user in TelegramUser.objects.filter(telegram_id__in=chat_ids):
        ledger.grant_credits(user=user, amount=100, actor=None, reason="bench", key=uuid.uuid4().hex)


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
    await asyncio.wait_for(reply, REPLY_TIMEOUT)
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
            await asyncio.to_thread(grant_credits, [chat.id for chat in chats])
        else:
            await each(chats, PREPARE_CONCURRENCY, lambda chat, step=step: exchange(fake, send, chat, step(chat)))


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


class QueryCounter:
    """Counts what every connection of every thread sends: statements through Django's cursors, and the
    round trips that bypass them (health checks, commits)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts = {"statements": 0, "health checks": 0, "commits": 0}
        self.wrappers = []

    def _add(self, name):
        with self._lock:
            self.counts[name] += 1

    def snapshot(self):
        with self._lock:
            return dict(self.counts)

    def __call__(self, execute, sql, params, many, context):
        self._add("statements")
        return execute(sql, params, many, context)

    def install(self, *, connection, **kwargs):
        # connection_created fires again when a wrapper reconnects: install once per wrapper.
        if self in connection.execute_wrappers:
            return
        connection.execute_wrappers.append(self)
        connection.is_usable = self._counting(connection.is_usable, "health checks")
        connection.commit = self._counting(connection.commit, "commits")
        with self._lock:
            self.wrappers.append(connection)

    def _counting(self, method, name):
        def counted(*args, **kwargs):
            self._add(name)
            return method(*args, **kwargs)

        return counted

    def close_all(self):
        """Close the connections of pool threads that are gone (their thread can no longer do it)."""
        for wrapper in self.wrappers:
            if wrapper.connection is not None:
                wrapper.connection.close()


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


# --- servers -------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base_url: str
    log: object

    def stop(self):
        if self.process.poll() is None:
            # The whole group: uvicorn's workers are children of its supervisor.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)

    def log_lines(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace").splitlines()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(fake):
    params = connection.settings_dict
    url = (
        f"postgres://{quote(params['USER'] or '')}:{quote(params['PASSWORD'] or '', safe='')}"
        f"@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{quote(params['NAME'])}"
    )
    return {**os.environ, "DATABASE_URL": url, "TELEGRAM_API_BASE_URL": fake.base_url}


def spawn(name, command, env, port):
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def start_ours(env):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "neurocards.asgi:application",
        "--workers",
        str(WORKERS),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return spawn("uvicorn", command, env, port)


def start_reference(env):
    port = free_port()
    return spawn("PTB", [sys.executable, str(Path(__file__).resolve()), "--reference-server", str(port)], env, port)


def wait_until_up(server, path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n" + "\n".join(server.log_lines()[-20:]))
        try:
            # Any answer will do: PTB's server has no health URL and answers a GET with 405.
            httpx.get(f"{server.base_url}/{path}", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {START_TIMEOUT} s")


def serve_reference(port):
    """python-telegram-bot's own webhook server with build()'s settings and handlers, updates concurrent."""
    from unittest import mock

    from telegram.ext import ApplicationBuilder

    from botapp import application

    class ConcurrentBuilder(ApplicationBuilder):
        def __init__(self):
            super().__init__()
            self.concurrent_updates(REFERENCE_CONCURRENCY)

    # build() itself, so token, Bot API address, pool sizes, timeouts and handlers stay identical to ours.
    with mock.patch.object(application, "ApplicationBuilder", ConcurrentBuilder):
        app = application.build(polling=True)
    app.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path=WEBHOOK_PATH,
        secret_token=SECRET,
        webhook_url=f"https://bench.invalid/{WEBHOOK_PATH}",
        drop_pending_updates=False,
    )


# --- CPU accounting ------------------------------------------------------------------------------


def _process_tree(pid):
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            pass
    return pids


def _backends_of(database):
    """PostgreSQL backends serving `database` (their title names it), not other sessions' test runs."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f" {database} " in (entry / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def _cpu(pids):
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            ticks[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except OSError:
            pass
    return ticks


def cpu_seconds(process):
    """CPU seconds so far, by pid, of the server under test, of PostgreSQL serving the test database and of
    this process (the driver and the fake Bot API)."""
    return {
        "server": _cpu(_process_tree(process.pid)),
        "postgres": _cpu(_backends_of(connection.settings_dict["NAME"])),
        "driver": {os.getpid(): sum(os.times()[:2])},
    }


def cpu_used(before, after):
    # By pid: a process that ended in between is left out rather than subtracted.
    return {part: sum(seconds - before[part].get(pid, 0) for pid, seconds in after[part].items()) for part in after}


# --- report --------------------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def replies_by_chat(calls, run):
    """Every user-visible message sent to the run's chats after their timed update, in order."""
    replies = {chat_id: [] for chat_id in run.sent_at}
    for call in calls:
        chat_id = call.params.get("chat_id")
        if chat_id in replies and call.at >= run.sent_at[chat_id] and call.method in USER_VISIBLE_METHODS:
            replies[chat_id].append(call)
    return replies


def summarise(run, calls):
    replies = replies_by_chat(calls, run)
    latencies = [replies[chat_id][0].at - sent for chat_id, sent in run.sent_at.items()]
    elapsed = max(replies[chat_id][0].at for chat_id in replies) - min(run.sent_at.values())
    return {
        "rate": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "cpu": {name: seconds * 1000 / len(latencies) for name, seconds in run.cpu.items()},
    }


def problems_in(runs, calls):
    problems = []
    for run in runs:
        replies = replies_by_chat(calls, run)
        wrong_count = sum(len(sent) != 1 for sent in replies.values())
        wrong_reply = sum(not run.scenario.reply_ok(sent[0]) for sent in replies.values() if sent)
        if wrong_count or wrong_reply:
            problems.append(
                f"{run.server} {run.scenario.name}: {wrong_count} updates without exactly one reply, "
                f"{wrong_reply} unexpected replies"
            )
    return problems


def print_report(runs, calls, queries, seconds):
    print(
        f"NeuroCards webhook bench: {os.cpu_count()} cores, {CONCURRENCY} updates in flight, PostgreSQL, "
        "fake Bot API in the driver's process (no latency)"
    )
    print(
        f"ours: uvicorn neurocards.asgi, {WORKERS} workers | reference: python-telegram-bot run_webhook "
        f"(tornado), 1 process, concurrent_updates={REFERENCE_CONCURRENCY}"
    )
    print("latency: POST sent -> its reply at the fake Bot API; CPU: ms per update of server/PostgreSQL/driver")
    print(
        f"{'scenario':<10} {'updates':>7} {'server':<8} {'updates/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU ms':>14}  ours/ref (aim >= 0.80)"
    )
    results = {}
    for run in runs:
        results.setdefault(run.scenario, {})[run.server] = summarise(run, calls)
    for scenario, by_server in results.items():
        ratio = by_server["uvicorn"]["rate"] / by_server["PTB"]["rate"]
        for server, result in by_server.items():
            first = server == "uvicorn"
            cpu = "/".join(f"{result['cpu'][part]:.1f}" for part in ("server", "postgres", "driver"))
            print(
                f"{scenario.name if first else '':<10} {scenario.updates if first else '':>7} {server:<8} "
                f"{result['rate']:9.0f} {result['p50']:7.0f} {result['p99']:7.0f} {cpu:>14}"
                + (f"  {ratio:.2f}" if first else "")
            )
    print(
        f"queries per update (aim <= 8), in this process over {QUERY_SAMPLES} updates each: SQL statements "
        "[+ round trips outside Django's cursors]"
    )
    for name, counts in queries.items():
        print(
            f"{name:<10} {counts['statements']:7.1f}  [+{counts['health checks']:.1f} health-check SELECT 1, "
            f"+{counts['commits']:.1f} transactions (BEGIN, COMMIT)]"
        )
    print(f"total {seconds:.0f} s")


def check_database(confirms):
    from billing import ledger
    from generations.models import Generation

    generations = Generation.objects.count()
    mismatches = ledger.find_mismatches()
    problems = []
    if generations != confirms:
        problems.append(f"{generations} generations for {confirms} confirms")
    if mismatches:
        problems.append(f"{len(mismatches)} ledger mismatches")
    return problems


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
        serve_reference(int(sys.argv[2]))
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
