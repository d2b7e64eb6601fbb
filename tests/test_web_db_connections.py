"""A web process holds WEB_DB_THREADS database connections however many updates arrive at once, and a
sync view's connection is closed with its request.

Measured in pg_stat_activity with persistent connections, as deployed (the tests otherwise close them
after every use): the backends on the test database other than this test's own.
"""

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection, connections

from botapp import handlers
from tests.chat import Chat

UPDATES = 40


def backends():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def close_thread_connections():
    """Each executor thread closes its own connection: one job per thread, all held until every one runs."""
    executor = handlers.db_threads()
    size = len(executor._threads)
    if size:
        barrier = threading.Barrier(size)

        def close():
            connections.close_all()
            barrier.wait(timeout=10)

        for job in [executor.submit(close) for _ in range(size)]:
            job.result(timeout=20)
    executor.shutdown()
    handlers.db_threads.cache_clear()


@pytest.fixture
def persistent(settings, monkeypatch):
    """The webhook's executor made afresh with 3 threads, its connections kept 60 s; closed afterwards."""
    close_thread_connections()
    settings.WEB_DB_THREADS = 3
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    yield settings.WEB_DB_THREADS
    close_thread_connections()


@pytest.mark.postgres
def test_it_keeps_a_web_process_within_web_db_threads_connections(bot_server, telegram, transactional_db, persistent):
    chats = [Chat(server=bot_server, telegram=telegram, user_id=610_000 + n) for n in range(UPDATES)]
    assert backends() == 0
    start = threading.Barrier(UPDATES)

    def post(chat):
        start.wait(timeout=10)
        return chat.post(chat.message_update(text="/start")).status_code

    peak, deadline = 0, time.monotonic() + 60
    with ThreadPoolExecutor(UPDATES) as pool:
        statuses = pool.map(post, chats)
        while not all(chat.sent() for chat in chats):
            assert time.monotonic() < deadline, "the updates were not answered"
            peak = max(peak, backends())
            time.sleep(0.005)
        statuses = list(statuses)

    assert statuses == [200] * UPDATES
    # The README's sizing: WEB_DB_THREADS per web process, kept open between updates.
    assert peak == persistent and backends() == persistent


@pytest.mark.postgres
def test_it_closes_a_sync_views_connection_with_its_request(bot_server, transactional_db, persistent):
    gc.disable()  # the garbage collector would close some of them, at some time: not a bound
    try:
        statuses = {httpx.get(f"{bot_server.url}/readyz", timeout=30).status_code for _ in range(5)}
        left = backends()
    finally:
        gc.enable()

    assert statuses <= {200, 503} and left == 0
