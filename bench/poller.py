"""Task reads per second of the batch poller against the rate KIE allows, in the same run.

1,000 generations in flight (BENCH_TASKS), every one still pending at a fake KIE that answers in 50 ms
and refuses a key's 11th recordInfo within a second with a 429; BENCH_KEYS keys (1 by default). The
reference is that allowed rate itself, 10 reads a second per key: the poller should reach at least 90 % of
it with no 429. Also measured: the time until every task has been read once (from the fake's request log),
and the worker's peak memory. The fake runs in a process of its own, so its threads neither share this
process's interpreter lock nor count in its memory; the poller runs here on a throw-away PostgreSQL test
database. Run: `.venv/bin/python bench/poller.py` (about 2½ minutes; BENCH_TASKS=200 for a quick run).
"""

import os
import resource
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import common

# A 429 would log one warning per read; the count is printed instead.
common.setup_django(LOG_LEVEL="ERROR")

TASKS = int(os.environ.get("BENCH_TASKS", 1000))
KEYS = int(os.environ.get("BENCH_KEYS", 1))
TRACE_MEMORY = os.environ.get("BENCH_TRACEMALLOC", "1") != "0"
ALLOWED_PER_KEY = 10.0
LATENCY = 0.05
CREATE_THREADS = 32
# Time for one read of every task at the allowed rate, with room for start-up and a slower poller.
LOOP_SECONDS = TASKS / (ALLOWED_PER_KEY * KEYS) * 1.3 + 5


def main():
    keys = [f"bench-kie-key-{i}" for i in range(1, KEYS + 1)]
    with common.throwaway_database("poller"), common.fake_in_child(serve_fake_kie, keys, TASKS) as fake:
        run(fake, keys)


def run(fake, keys):
    task_ids = create_tasks(fake.base_url, keys[0])
    make_generations(task_ids)
    point_settings_at(fake.base_url, keys)
    print(
        f"{TASKS} tasks pending at the fake KIE ({LATENCY * 1000:.0f} ms, 429 above {ALLOWED_PER_KEY:g} reads/s "
        f"per key), {KEYS} key(s): allowed {ALLOWED_PER_KEY * KEYS:g} reads/s; poller loop of {LOOP_SECONDS:.0f} s, "
        f"PostgreSQL"
    )
    loop = run_loop()
    reads, too_many = fake.ask("reads")
    report_reads(reads, loop)
    print(f"429s: {too_many} (target 0); poller says: {loop.summary}")
    traced = f"; tracemalloc peak during the loop {loop.traced_mb:.1f} MB" if loop.traced_mb is not None else ""
    print(f"peak RSS of this process {loop.rss_before_mb:.0f} MB before the loop, {peak_rss_mb():.0f} MB after{traced}")


@dataclass
class Loop:
    started: float
    seconds: float
    summary: str
    rss_before_mb: float
    traced_mb: float | None


def run_loop():
    from generations.poller import Poller

    rss_before = peak_rss_mb()
    if TRACE_MEMORY:
        tracemalloc.start()
    started = time.monotonic()
    summary = Poller(seconds=LOOP_SECONDS).loop()
    seconds = time.monotonic() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if TRACE_MEMORY else None
    tracemalloc.stop()
    return Loop(started, seconds, summary, rss_before, traced)


def report_reads(reads, loop):
    """reads: (task id, arrival at the fake, HTTP status, body code), in the fake's clock (CLOCK_MONOTONIC)."""
    allowed = ALLOWED_PER_KEY * KEYS
    answered = sorted((read for read in reads if read[2] == read[3] == 200), key=lambda read: read[1])
    first_seen = {}
    for task_id, at, _, _ in answered:
        first_seen.setdefault(task_id, at)
    floor = TASKS / allowed
    if len(first_seen) == TASKS:
        all_once = max(first_seen.values()) - loop.started
        print(
            f"every task read once after {all_once:.1f} s (floor at the allowed rate {floor:.1f} s, "
            f"ratio {all_once / floor:.2f}); first read after {min(first_seen.values()) - loop.started:.2f} s"
        )
    else:
        refused = {read[0] for read in reads if read[0] not in first_seen and read[3] == 429}
        print(
            f"only {len(first_seen)} of {TASKS} tasks read within the {loop.seconds:.0f} s loop (floor at the allowed "
            f"rate {floor:.1f} s); {len(refused)} of the others had their read refused with a 429"
        )
    achieved = len(answered) / loop.seconds
    print(
        f"reads answered: {len(answered)} in {loop.seconds:.1f} s = {achieved:.2f}/s; reference (allowed) "
        f"{allowed:g}/s; ratio {achieved / allowed:.3f} (target >= 0.9)"
    )


def create_tasks(base_url, key):
    import httpx

    body = {
        "model": "google/nano-banana-edit",
        "input": {"prompt": "bench", "image_urls": [f"{base_url}/files/bench.png"]},
    }
    with httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
        limits=httpx.Limits(max_connections=CREATE_THREADS),
    ) as client:

        def create(_):
            answer = client.post("/api/v1/jobs/createTask", json=body).json()
            if answer.get("code") != 200:
                raise RuntimeError(f"the fake KIE refused createTask: {answer}")
            return answer["data"]["taskId"]

        with ThreadPoolExecutor(max_workers=CREATE_THREADS) as pool:
            return list(pool.map(create, range(TASKS)))


def make_generations(task_ids):
    from django.utils import timezone

    from accounts.models import TelegramUser
    from generations.models import Generation

    user = TelegramUser.objects.create(telegram_id=1)
    now = timezone.now()
    Generation.objects.bulk_create(
        (
            Generation(
                user=user,
                kind="image",
                template="bench",
                description="bench",
                cost=3,
                idempotency_key=f"bench:{i}",
                status="processing",
                provider="kie",
                provider_task_id=task_id,
                next_poll_at=now,
                submitted_at=now,
            )
            for i, task_id in enumerate(task_ids)
        ),
        batch_size=500,
    )


def point_settings_at(base_url, keys):
    from django.conf import settings

    from generations.providers import get_provider

    settings.GENERATION_PROVIDER = "kie"
    settings.KIE_API_KEYS = list(keys)
    settings.KIE_API_BASE_URL = settings.KIE_UPLOAD_BASE_URL = base_url
    get_provider.cache_clear()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# --- the fake KIE in a child process ------------------------------------------------------------------
# Not `python -m tests.fakes.kie`: its command line can neither make tasks hang nor hand back its request
# log, so the child runs the same FakeKie class and answers the parent over a pipe.


def serve_fake_kie(conn, keys, tasks):
    from tests.fakes.kie import FakeKie

    fake = FakeKie(keys=keys, latency=LATENCY, record_rate_per_key=ALLOWED_PER_KEY, create_limit=(tasks, 3600.0))
    fake.program(outcome="hang", times=tasks)
    fake.start()
    try:
        conn.send({"base_url": fake.base_url})
        # Bounded: the parent asks once for the log, then says stop; silence for the whole run ends it too.
        for _ in range(10):
            if not conn.poll(LOOP_SECONDS + 600) or conn.recv() != "reads":
                break
            log = [(call.params.get("taskId"), call.at, call.status, call.code) for call in fake.requests("recordInfo")]
            conn.send((log, fake.too_many))
    except EOFError:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
