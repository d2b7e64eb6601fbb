"""How long polling stops when a worker cluster is killed, and how long a fresh cluster waits to poll.

A real `manage.py qcluster` (ORM broker, the project's schedules, the local provider) on a throw-away
PostgreSQL test database. Measured from this process, watching the poller's lease row:
- first poll: from the cluster's start until a poller holds the lease;
- takeover: the cluster is SIGKILLed while its poller holds the lease and restarted at once; the time from
  the kill until a new poller holds it.
Run: `.venv/bin/python bench/poller_takeover.py` (under a minute now; it was about 2½).
"""

import os
import signal
import subprocess
import sys
import time

import common

common.setup_django(LOG_LEVEL="WARNING")

ROOT = common.Path(__file__).resolve().parent.parent
WAIT = 300


def main():
    with common.throwaway_database("takeover"):
        from django_q.models import Schedule

        from neurocards.schedules import ensure_schedules

        ensure_schedules()
        # Only the poller: the other schedules would share the two workers and blur the figures.
        Schedule.objects.exclude(name="generation-poller").delete()
        run()


def run():
    started = time.monotonic()
    cluster = start_cluster()
    try:
        first = wait_for(lambda: holder() != "", since=started)
        print(f"first poll after a cold start: {first:.1f} s")
        time.sleep(5)  # well into its run
        dead = holder()
        stop(cluster)
        killed = time.monotonic()
        cluster = start_cluster()
        takeover = wait_for(lambda: holder() not in ("", dead), since=killed)
        print(f"lease taken over {takeover:.1f} s after the cluster was killed (and restarted at once)")
    finally:
        stop(cluster)


def start_cluster():
    from django.db import connection

    db = connection.settings_dict
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    env.update(
        {
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_DEBUG": "true",
            "Q_SYNC": "false",
            "GENERATION_PROVIDER": "local",
            "KIE_API_KEYS": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(cluster):
    # SIGKILL to the whole group: no finally runs, no lease is let go, as when a machine dies.
    try:
        os.killpg(cluster.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    cluster.wait(10)
    time.sleep(0.5)


def holder():
    from neurocards.models import Lease

    return Lease.objects.filter(name="poller").values_list("holder", flat=True).first() or ""


def wait_for(condition, *, since):
    while not condition():
        if time.monotonic() - since > WAIT:
            sys.exit(f"nothing after {WAIT} s")
        time.sleep(0.2)
    return time.monotonic() - since


if __name__ == "__main__":
    main()
