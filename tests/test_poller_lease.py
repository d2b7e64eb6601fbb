"""The poller's lease: a live poller keeps it by renewing it, a dead one (a killed cluster) loses it soon."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from generations import pipeline, poller, watchdog
from generations.models import Generation
from neurocards.lib.leases import lease
from neurocards.models import Lease
from tests.factories import make_user, place_order


@pytest.mark.django_db
def test_it_lets_another_runner_take_a_lease_whose_holder_stopped_renewing():
    stopped = lease("job", seconds=1)
    assert stopped.__enter__()  # and never renewed nor left, as by a process killed while holding it

    with lease("job", seconds=1) as meanwhile:
        assert not meanwhile
    time.sleep(1.1)
    with lease("job", seconds=1) as after:
        assert after


@pytest.mark.django_db
def test_it_keeps_the_lease_for_a_holder_that_renews_it():
    with lease("job", seconds=1) as held:
        for _ in range(4):
            time.sleep(0.5)
            assert held.renew()
            with lease("job", seconds=1) as other:
                assert not other
    with lease("job", seconds=1) as after:
        assert after


@pytest.mark.django_db
def test_it_tells_a_holder_whose_lease_lapsed_and_was_taken_that_it_lost_it():
    with lease("job", seconds=0.2) as slow:
        time.sleep(0.3)
        with lease("job", seconds=5) as taker:
            assert taker
            assert not slow.renew() and not slow


def test_it_keeps_a_running_poller_alone_past_its_lease_by_renewing_it(transactional_db, monkeypatch):
    monkeypatch.setattr(poller, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(poller, "RENEW_EVERY", 0.3)
    running = threading.Thread(target=in_thread(poller.run), kwargs={"seconds": 4})
    running.start()
    wait_for_holder()

    time.sleep(1.2)  # past the first lease: only its renewals keep it
    # Even a runner that waits for the lease to lapse gives up: the live holder keeps renewing it.
    second = poller.run(seconds=1, wait=1.0)
    running.join(timeout=10)

    assert second == "another poller is running"
    assert Lease.objects.get(name="poller").holder == ""  # and it let go when it ended


def test_it_delivers_a_finished_video_after_the_poller_was_killed(transactional_db, workers, settings, monkeypatch):
    """A cluster killed mid-poll leaves the lease held; the next poller takes it over and delivers, in time."""
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = settings.MAX_ACTIVE_ORDERS = 100
    monkeypatch.setattr(poller, "LEASE_SECONDS", 1.0)
    (generation,) = place_order(make_user(credits=50, telegram_id=7171), telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)
    # A short deadline, as a video close to its timeout: it must be delivered, not refunded as a timeout.
    Generation.objects.filter(pk=generation.pk).update(
        timeout_at=timezone.now() + timedelta(seconds=20), next_poll_at=timezone.now()
    )
    killed = kill_a_poller(monkeypatch)
    left = Lease.objects.get(name="poller")
    assert left.holder and left.expires_at <= timezone.now() + timedelta(seconds=poller.LEASE_SECONDS)

    started = time.monotonic()
    summary = poller.run(seconds=2, wait=poller.LEASE_SECONDS + 1)  # as the restarted cluster's runner
    took_over = time.monotonic() - started
    watchdog.run()
    killed.set()

    assert summary.startswith("poller: ") and took_over < 2 + poller.LEASE_SECONDS + 1
    assert Generation.objects.get(pk=generation.pk).status == "completed"
    assert len(workers.telegram.requests("sendVideo")) == 1


def test_it_keeps_its_lease_short():
    # A dead holder's lease lapses within one poll interval (KIE's advice: 15–30 s at most).
    assert poller.RENEW_EVERY * 2 < poller.LEASE_SECONDS <= 15


def kill_a_poller(monkeypatch):
    """A poller that took the lease and then stopped dead: neither renews nor lets go, as if SIGKILLed."""
    frozen, original = threading.Event(), poller.Poller.loop

    def loop(self):
        if threading.current_thread() is dead:
            frozen.wait(30)
            return "killed"
        return original(self)

    monkeypatch.setattr(poller.Poller, "loop", loop)
    dead = threading.Thread(target=in_thread(poller.run), daemon=True)
    dead.start()
    wait_for_holder()
    return frozen


def in_thread(func):
    def run(**kwargs):
        try:
            func(**kwargs)
        finally:
            connections.close_all()

    return run


def wait_for_holder():
    deadline = time.monotonic() + 10
    while not Lease.objects.filter(name="poller").exclude(holder="").exists():
        assert time.monotonic() < deadline, "the poller did not take its lease"
        time.sleep(0.05)
