"""Counters kept in each process and added to one shared table now and then; gauges set in that table.

Why not prometheus_client's multiprocess mode: its files are per machine, while qcluster workers may
run on other machines (the Redis broker) and /metrics is answered by whichever web process the proxy
picks. The table is shared by all of them, so any scrape sees the whole deployment. A worker adds its
counts once a task, any other process at most every FLUSH_SECONDS: one small transaction, not a write
per message or provider call. A process that dies loses what it had not added yet.
"""

import collections
import logging
import math
import re
import threading
import time

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from neurocards.metrics.models import Sample

log = logging.getLogger(__name__)

FLUSH_SECONDS = 10
PROVIDER_LATENCY = "neurocards_provider_request_duration_seconds"
PROVIDER_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# What messaging.sender counts (it adds to these as it sends).
SENDER_STATS = {"sent": "neurocards_telegram_messages_sent_total", "too_many": "neurocards_telegram_429_total"}
ENDPOINT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")

_lock = threading.Lock()
_pending = collections.Counter()  # (name, labels) -> amount not yet in the table
_last_flush = time.monotonic()


def add(name, amount=1, **labels):
    with _lock:
        _pending[(name, render_labels(labels))] += amount
    _flush_if_due()


def observe(name, seconds, *, buckets, **labels):
    """One observation of a histogram. The table counts each bucket on its own (the exposition adds them
    up and fills in empty ones), so an observation changes one bucket row, its sum and its count."""
    hit = next((bound for bound in buckets if seconds <= bound), math.inf)
    with _lock:
        _pending[(f"{name}_bucket", render_labels({**labels, "le": bound_label(hit)}))] += 1
        _pending[(f"{name}_sum", render_labels(labels))] += seconds
        _pending[(f"{name}_count", render_labels(labels))] += 1
    _flush_if_due()


def observe_provider_call(provider, url, seconds):
    # The last path segment (createTask, recordInfo, credit…): few values, and never a query or an id.
    endpoint = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    endpoint = endpoint if ENDPOINT.fullmatch(endpoint) else "other"
    observe(PROVIDER_LATENCY, seconds, buckets=PROVIDER_BUCKETS, provider=provider, endpoint=endpoint)


def set_gauge(name, value, **labels):
    Sample.objects.update_or_create(name=name, labels=render_labels(labels), defaults={"value": value})


def flush():
    """Add what this process counted to the table; on a database error it is kept for the next flush."""
    global _last_flush
    with _lock:
        pending, _last_flush = dict(_pending), time.monotonic()
        _pending.clear()
    if not pending:
        return 0
    try:
        with transaction.atomic():
            # Always the same order: two processes adding to the same rows never wait on each other in a cycle.
            for (name, labels), amount in sorted(pending.items()):
                _add_to_row(name, labels, amount)
    except Exception as error:  # noqa: BLE001  (counting must never break the call or task it counts)
        log.warning("metrics: %s counts not added (%s), kept for the next flush", len(pending), type(error).__name__)
        with _lock:
            _pending.update(pending)
        return 0
    return len(pending)


def flush_after_task(sender, task, **kwargs):
    # Inline (sync) tasks run inside the caller's request or transaction: its own flushes cover them.
    if not task.get("sync"):
        flush()


def bound_label(bound):
    return "+Inf" if bound == math.inf else f"{bound:g}"


def render_labels(labels):
    return ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())


def _flush_if_due():
    # Never inside someone's transaction: the rows would stay locked until it commits, and roll back with it.
    # Only from the main thread: helper threads (the poller's network reads) must not open database
    # connections of their own for this; the end of the task or the next scrape adds what they counted.
    if (
        threading.current_thread() is threading.main_thread()
        and time.monotonic() - _last_flush >= FLUSH_SECONDS
        and not connection.in_atomic_block
    ):
        flush()


def _add_to_row(name, labels, amount):
    rows = Sample.objects.filter(name=name, labels=labels)
    if rows.update(value=F("value") + amount, updated_at=timezone.now()):
        return
    _, created = Sample.objects.get_or_create(name=name, labels=labels, defaults={"value": amount})
    if not created:  # another process created it in between
        rows.update(value=F("value") + amount, updated_at=timezone.now())


def _escape(value):
    return str(value).replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")
