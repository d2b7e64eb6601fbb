"""Every Redis client fails within seconds when Redis accepts a connection and then says nothing: a stalled
Redis must fail a send or an enqueue, never hang a worker or a web request.

redis-py 8 already defaults to 5 s timeouts (older versions waited forever); ours are set explicitly, so a
library bump can't take them away, and the tests check the values as well as the behaviour."""

import socket
import threading

import pytest
import redis

from neurocards.lib import leases
from tests.test_configuration import manage

WITHIN = 30  # seconds: far above the clients' timeouts, far below "forever"


@pytest.fixture
def silent_redis():
    """A TCP server that accepts and never answers (a stalled Redis, a half-dead network path)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:  # lets a client that had no timeout go
        connection.close()
    server.close()


def test_it_gives_up_a_pacing_reservation_when_redis_stalls(silent_redis, settings):
    settings.REDIS_URL = silent_redis
    leases._redis_reserve.cache_clear()
    outcome = []

    def reserve():
        try:
            leases.reserve_slot("telegram", 0.035)
        except redis.RedisError as error:
            outcome.append(error)

    worker = threading.Thread(target=reserve, daemon=True)
    worker.start()
    worker.join(timeout=WITHIN)
    leases._redis_reserve.cache_clear()

    assert not worker.is_alive(), "reserve_slot still waits on a silent Redis"
    assert isinstance(outcome[0], redis.TimeoutError)


def test_it_sets_the_pacing_clients_timeouts_itself(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    leases._redis_reserve.cache_clear()
    options = leases._redis_reserve().registered_client.connection_pool.connection_kwargs
    leases._redis_reserve.cache_clear()

    assert options["socket_timeout"] == options["socket_connect_timeout"] == leases.REDIS_TIMEOUT_SECONDS


def test_it_gives_up_an_enqueue_when_the_redis_broker_stalls(silent_redis):
    code = "from django_q.brokers import get_broker; get_broker().enqueue('x')"
    run = manage("shell", "-c", code, DJANGO_DEBUG="true", REDIS_URL=silent_redis)

    assert run.returncode != 0 and "TimeoutError" in run.stderr


def test_it_gives_the_redis_broker_timeouts_unless_the_url_names_them():
    code = "from django.conf import settings; print(settings.Q_CLUSTER['redis'])"
    default = manage("shell", "-c", code, DJANGO_DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/1")
    own = manage("shell", "-c", code, DJANGO_DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/1?socket_timeout=9")

    assert default.stdout.split()[-1] == "redis://127.0.0.1:6379/1?socket_connect_timeout=5&socket_timeout=5"
    assert own.stdout.split()[-1] == "redis://127.0.0.1:6379/1?socket_timeout=9&socket_connect_timeout=5"
