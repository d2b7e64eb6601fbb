"""What the benchmarks share: Django against PostgreSQL, a throw-away database, a fake in a child process."""

import multiprocessing
import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 30
ANSWER_TIMEOUT = 30


def setup_django(**env):
    """Set the environment's defaults (the local test role's PostgreSQL) and start Django."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    defaults = {
        "DJANGO_SETTINGS_MODULE": "neurocards.settings",
        "SECRET_KEY": "bench-only-not-a-secret",
        "DATABASE_URL": "postgres://neurocards:neurocards@127.0.0.1:5432/neurocards",
        **env,
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


@contextmanager
def throwaway_database(bench):
    """A fresh, migrated test database for the run, dropped after it."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        sys.exit(f"bench/{bench}.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    old_name = connection.settings_dict["NAME"]
    # Its own name: autoclobber must never drop the database of a test run going on at the same time.
    connection.settings_dict["TEST"]["NAME"] = f"test_{old_name}_bench_{bench}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


class FakeHandle:
    """The parent's end of a fake serving in a child: what it said on start as attributes, and ask()."""

    def __init__(self, conn, started):
        self.conn = conn
        self.__dict__.update(started)

    def ask(self, command):
        self.conn.send(command)
        if not self.conn.poll(ANSWER_TIMEOUT):
            raise RuntimeError(f"the fake did not answer {command!r}")
        return self.conn.recv()


@contextmanager
def fake_in_child(serve, *args):
    """Run `serve(conn, *args)` in a spawned process, so the fake's threads don't share our CPU time.

    `serve` sends a dict when it is ready, then answers the parent's commands until told "stop".
    """
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    process = context.Process(target=serve, args=(child_end, *args), daemon=True)
    process.start()
    try:
        if not parent_end.poll(START_TIMEOUT):
            raise RuntimeError("the fake did not start")
        yield FakeHandle(parent_end, parent_end.recv())
    finally:
        try:
            parent_end.send("stop")
        except OSError:
            pass
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


def grant_credits(chat_ids):
    """100 credits to each of these bench users (Django set up first: models are imported here)."""
    from accounts.models import TelegramUser
    from billing import ledger

    for user in TelegramUser.objects.filter(telegram_id__in=chat_ids):
        ledger.grant_credits(user=user, amount=100, actor=None, reason="bench", key=uuid.uuid4().hex)
