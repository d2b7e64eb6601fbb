"""The webhook bench's measurements and report: queries counted per connection, CPU used by each server's
process tree (and its database backends), latency percentiles, and the checks that every timed update got one
reply and the ledger balances. Imported by bench/webhook.py once Django is set up."""

import os
import threading
from pathlib import Path

from django.db import connection

from tests.fakes.telegram import USER_VISIBLE_METHODS

CONCURRENCY = 32
QUERY_SAMPLES = 30
WORKERS = 2
# PTB handles updates one at a time unless told otherwise; 64 is above the bench's 32 in flight.
REFERENCE_CONCURRENCY = 64


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
