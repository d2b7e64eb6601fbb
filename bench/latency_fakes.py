"""The latency bench's children: the fake Bot API, KIE and OpenAI, each serving in a process of its own, and
the background load. Each is run by `common.fake_in_child`: it says when it is ready, then answers the
parent's commands until told "stop". Their clocks are CLOCK_MONOTONIC, the same in every process on Linux,
so the parent compares times taken here with its own."""

import asyncio
import itertools
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# What a seller sees as the bot's reply (the tap's toast, answerCallbackQuery, is not one).
REPLY_METHODS = ("sendMessage", "editMessageText", "sendPhoto", "sendVideo", "sendDocument", "sendMediaGroup")
PHOTO_FILE_ID = "bench-latency-photo"
KIE_KEY = "bench-latency-kie-key"
COMMAND_TIMEOUT = 3600


def _answer_commands(conn, answer):
    """Answer the parent's commands until "stop" (or silence for an hour, or the pipe closing)."""
    try:
        while conn.poll(COMMAND_TIMEOUT):
            command = conn.recv()
            if command == "stop":
                return
            conn.send(answer(command))
    except EOFError:
        pass


def _chat_id(value):
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _first_button(params):
    """The callback data of a reply's first inline button (the confirmation screen's Confirm), or None."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return None
    try:
        return markup["inline_keyboard"][0][0].get("callback_data")
    except (TypeError, KeyError, IndexError, AttributeError):
        return None


# --- the Bot API -----------------------------------------------------------------------------------


def serve_telegram(conn, events):
    """The fake Bot API; every reply it takes is put on `events` as (chat id, method, arrival, first button)."""
    from tests.chat import image
    from tests.fakes.telegram import FakeTelegram

    class Telegram(FakeTelegram):
        def __init__(self):
            super().__init__()
            for name in REPLY_METHODS:
                self._methods[name] = self._telling(name, self._methods[name])

        @staticmethod
        def _telling(name, handler):
            def handle(params, files):
                at = time.monotonic()
                result = handler(params, files)
                events.put((_chat_id(params.get("chat_id")), name, at, _first_button(params)))
                return result

            return handle

    fake = Telegram().start()
    fake.add_file(image("JPEG"), file_id=PHOTO_FILE_ID)
    conn.send({"base_url": fake.base_url, "token": fake.token})

    def answer(command):
        if command == "too many":
            return fake.too_many
        return None

    try:
        _answer_commands(conn, answer)
    finally:
        fake.stop()


# --- KIE --------------------------------------------------------------------------------------------


def serve_kie(conn):
    """The fake KIE. Tasks end at a known moment: the parent plans (seconds after creation, callbacks on or
    off) for the next tasks; "tasks" hands back, per task, its creation, its planned end and whether the app
    gave a callback URL."""
    import collections

    from tests.fakes.kie import FakeKie
    from tests.fakes.kie_tasks import Program

    class Kie(FakeKie):
        plan = collections.deque()

        def _take_program(self):
            after, callbacks = self.plan.popleft() if self.plan else (5.0, True)
            program = Program(outcome="success", after_seconds=after)
            program.callbacks = callbacks
            return program

        def _fire_callback(self, task, *, early=False):
            if getattr(task.program, "callbacks", True):
                super()._fire_callback(task, early=early)

    # Reads within what KIE allows; new tasks well above the bench's pace.
    fake = Kie(keys=(KIE_KEY,), create_limit=(1000, 10.0)).start()
    conn.send({"base_url": fake.base_url, "key": KIE_KEY})

    def answer(command):
        name, *args = command
        if name == "plan":
            with fake._lock:
                fake.plan.extend(args[0])
            return len(fake.plan)
        if name == "tasks":
            with fake._lock:
                tasks = list(fake.tasks.values())
                return {
                    task.task_id: {
                        "created": task.created_at,
                        "done": task.created_at + task.program.after_seconds,
                        "after": task.program.after_seconds,
                        "callbacks": getattr(task.program, "callbacks", True),
                        "callback_url": bool(task.callBackUrl),
                        "result_url": task.result_url,
                    }
                    for task in tasks
                }
        if name == "reads":
            return len(fake.requests("recordInfo")), fake.too_many, len(fake.callbacks)
        raise ValueError(f"unknown command {name!r}")

    try:
        _answer_commands(conn, answer)
    finally:
        fake.stop()


# --- OpenAI -----------------------------------------------------------------------------------------


def serve_openai(conn):
    """The fake OpenAI; ("latency", seconds) sets how long it takes to answer."""
    from tests.fakes.openai import FakeOpenAI

    fake = FakeOpenAI().start()
    conn.send({"base_url": fake.base_url, "api_key": fake.api_key})

    def answer(command):
        name, seconds = command
        fake.latency = seconds
        return seconds

    try:
        _answer_commands(conn, answer)
    finally:
        fake.stop()


# --- background load --------------------------------------------------------------------------------


def serve_load(conn, url, secret, rate, users, first_user_id):
    """Post `rate` updates a second of `users` other sellers to the webhook until told to stop: each one's
    /start first, then taps (Create video) and messages (text at the photo step), in turn."""
    from tests.chat import Chat

    stop = threading.Event()
    counts = {"sent": 0, "failed": 0, "late": 0}
    started = time.monotonic()
    chats = [Chat(server=None, telegram=None, user_id=first_user_id + i) for i in range(users)]

    def update(number):
        chat = chats[number % users]
        round_ = number // users
        if round_ == 0:
            return chat.message_update(text="/start")
        if round_ % 2:
            return chat.tap_update("menu:video")
        return chat.message_update(text="Керамическая кружка ручной работы")

    async def drive():
        import httpx

        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2)
        pending = set()
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def post(body):
                try:
                    response = await client.post(url, content=body, headers=headers)
                    counts["failed" if response.status_code != 200 else "sent"] += 1
                except httpx.HTTPError:
                    counts["failed"] += 1

            for number in itertools.count():
                if stop.is_set():
                    break
                pause = started + number / rate - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                elif pause < -1:
                    counts["late"] += 1
                task = asyncio.create_task(post(json.dumps(update(number))))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.wait(pending, timeout=30)

    thread = threading.Thread(target=lambda: asyncio.run(drive()), daemon=True)
    thread.start()
    conn.send({"rate": rate})

    def answer(command):
        return {**counts, "seconds": time.monotonic() - started}

    try:
        _answer_commands(conn, answer)
    finally:
        stop.set()
        thread.join(35)
