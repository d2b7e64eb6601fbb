"""Result messages through messaging.sender against the floor Telegram's overall limit sets, in the same run.

1,000 messages (BENCH_MESSAGES) to as many chats, sent with `send_message` from 8 threads (BENCH_THREADS),
as several worker processes would, to a fake Bot API that answers in 50 ms and refuses the 31st message
within a second with a 429. The reference is the floor that limit sets: 1,000 / 30 = 33.3 s. Target: at
most 1.1 × the floor and no 429. The threads share nothing but the sender's slot reservation: first on the
database (a throw-away PostgreSQL test database), then, when Redis answers at 127.0.0.1:6379/15, on Redis.
The fake runs in a process of its own, so its threads don't share this process's interpreter lock.
Run: `.venv/bin/python bench/notify.py` (about 1½ minutes; BENCH_MESSAGES=200 for a quick run).
"""

import os
import threading
import time
from collections import deque
from contextlib import contextmanager

import common

# A 429 would log one warning per message; the count is printed instead.
common.setup_django(LOG_LEVEL="ERROR")

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", 1000))
THREADS = int(os.environ.get("BENCH_THREADS", 8))
LIMIT_PER_SECOND = 30
LATENCY = 0.05
REDIS_URL = "redis://127.0.0.1:6379/15"
FLOOR = MESSAGES / LIMIT_PER_SECOND
# A pass that takes this long is stuck, not slow.
PASS_TIMEOUT = FLOOR * 3 + 120


def main():
    with common.throwaway_database("notify"), common.fake_in_child(serve_fake_telegram) as fake:
        run(fake)


def run(fake):
    from messaging import sender

    settings.TELEGRAM_API_BASE_URL, settings.TELEGRAM_BOT_TOKEN = fake.base_url, fake.token
    sender._client.cache_clear()
    print(
        f"{MESSAGES} messages to {MESSAGES} chats, {THREADS} threads, fake Bot API ({LATENCY * 1000:.0f} ms, 429 "
        f"above {LIMIT_PER_SECOND}/s); sender at {settings.TELEGRAM_MESSAGES_PER_SECOND:g}/s overall, "
        f"{settings.TELEGRAM_CHAT_INTERVAL_SECONDS:g} s per chat; floor {FLOOR:.1f} s"
    )
    backends = [("database", "")] + ([("redis", REDIS_URL)] if redis_answers() else [])
    if len(backends) == 1:
        print(f"redis: nothing answers at {REDIS_URL}, database pass only")
    for number, (label, redis_url) in enumerate(backends):
        chat_ids = range(100_000_001 + number * MESSAGES, 100_000_001 + (number + 1) * MESSAGES)
        with slots_on(redis_url, chat_ids):
            fake.ask("reset")
            elapsed, delivered = send_all(chat_ids)
        report(label, elapsed, delivered, *fake.ask("log"))


def report(label, elapsed, delivered, log, too_many):
    accepted = sorted(at for _, at, status in log if status == 200)
    print(
        f"{label:>8} limiter: total {elapsed:.1f} s, ratio to the floor {elapsed / FLOOR:.3f} (target <= 1.1); "
        f"429s {too_many} (target 0); delivered {delivered}/{MESSAGES} (fake accepted {len(accepted)}); "
        f"busiest second at the fake {busiest_second(accepted)} messages"
    )


def send_all(chat_ids):
    from messaging import sender

    barrier = threading.Barrier(THREADS + 1)
    delivered, errors = [], []

    def worker(mine):
        barrier.wait()
        try:
            for chat_id in mine:
                if sender.send_message(chat_id, f"Готово: результат для чата {chat_id}") is not None:
                    delivered.append(chat_id)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(chat_ids[t::THREADS],), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(max(0.0, started + PASS_TIMEOUT - time.monotonic()))
    elapsed = time.monotonic() - started
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"the senders did not finish within {PASS_TIMEOUT:.0f} s")
    if errors:
        raise errors[0]
    return elapsed, len(delivered)


def busiest_second(times):
    window, busiest = deque(), 0
    for at in times:
        window.append(at)
        while window[0] <= at - 1.0:
            window.popleft()
        busiest = max(busiest, len(window))
    return busiest


@contextmanager
def slots_on(redis_url, chat_ids):
    """The sender's slots on Redis (redis_url) or the database (""); Redis keys of the pass removed around it."""
    from neurocards.lib import leases

    settings.REDIS_URL = redis_url
    leases._redis_reserve.cache_clear()
    try:
        forget_redis_slots(redis_url, chat_ids)
        yield
    finally:
        forget_redis_slots(redis_url, chat_ids)
        settings.REDIS_URL = ""
        leases._redis_reserve.cache_clear()


def forget_redis_slots(redis_url, chat_ids):
    if not redis_url:
        return
    import redis

    keys = ["neurocards:slot:telegram"] + [f"neurocards:slot:chat:{chat_id}" for chat_id in chat_ids]
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()


def redis_answers():
    try:
        import redis
    except ImportError:
        return False
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


# --- the fake Bot API in a child process -------------------------------------------------------------
# `python -m tests.fakes.telegram --rate 30` serves the same limit but can't hand back its request log or
# its 429 count, so the child runs the same FakeTelegram class and answers the parent over a pipe.


def serve_fake_telegram(conn):
    from tests.fakes.telegram import FakeTelegram

    fake = FakeTelegram(latency=LATENCY)
    fake.limit_rate(per_second=LIMIT_PER_SECOND)
    fake.start()
    try:
        conn.send({"base_url": fake.base_url, "token": fake.token})
        # Bounded: a reset and a log per pass, then stop; silence for longer than any pass ends it too.
        for _ in range(10):
            if not conn.poll(PASS_TIMEOUT + 600):
                break
            command = conn.recv()
            if command == "reset":
                # reset() also lifts the rate limit: set it again.
                fake.reset()
                fake.limit_rate(per_second=LIMIT_PER_SECOND)
                conn.send(True)
            elif command == "log":
                log = [(call.params.get("chat_id"), call.at, call.status) for call in fake.requests("sendMessage")]
                conn.send((log, fake.too_many))
            else:
                break
    except EOFError:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
