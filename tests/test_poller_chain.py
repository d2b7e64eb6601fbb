"""A poller that polled to its end queues the next run at once: no gap until the cluster's next look at the
schedules (about every 30 s), in which nothing was read, not even what KIE's callbacks woke up."""

import pytest
from django_q.conf import Conf

from generations import poller
from neurocards.lib.leases import Held, lease

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # as in a real cluster
    tasks = []
    monkeypatch.setattr(poller, "async_task", lambda func, *args, **options: tasks.append((func, options)))
    return tasks


def test_a_poller_that_ran_its_time_queues_the_next_run(queued):
    summary = poller.run(seconds=0.2)

    assert summary.startswith("poller: ")
    assert [(func, options.get("chained")) for func, options in queued] == [("generations.tasks.poll", True)]


def test_a_chained_run_reads_nothing_until_the_last_runs_window_has_passed(queued, monkeypatch):
    """Its read windows start empty: reads within KIE's second after the last run's would be refused (429)."""
    slept = []
    monkeypatch.setattr(poller.time, "sleep", lambda seconds: slept.append(seconds))
    monkeypatch.setattr(poller.Poller, "loop", lambda self: "poller: 0 reads, 0 errors")

    poller.run(seconds=0.2, chained=True)

    assert slept[:1] == [poller.WINDOW_SECONDS]


def test_the_next_run_can_take_the_lease_at_once(queued):
    poller.run(seconds=0.2)

    with lease("poller", seconds=poller.LEASE_SECONDS) as next_run:
        assert next_run


def test_a_poller_that_found_another_running_queues_nothing(queued):
    with lease("poller", seconds=poller.LEASE_SECONDS) as running:
        assert running

        assert poller.run(seconds=0.2) == "another poller is running"

    assert queued == []


def test_a_poller_that_lost_its_lease_queues_nothing(queued, monkeypatch):
    monkeypatch.setattr(poller, "RENEW_EVERY", 0.0)
    monkeypatch.setattr(Held, "renew", lambda self: False)  # another runner took it meanwhile

    poller.run(seconds=5)

    assert queued == []


def test_tasks_run_inline_queue_no_next_run(queued, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)  # the tests' inline tasks: a chain would never end

    poller.run(seconds=0.2)

    assert queued == []


def test_a_broker_that_is_away_leaves_the_next_run_to_the_schedule(monkeypatch, caplog):
    monkeypatch.setattr(Conf, "SYNC", False)

    def broker_away(*args, **options):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(poller, "async_task", broker_away)

    assert poller.run(seconds=0.2).startswith("poller: ")
    assert "the next run was not queued" in caplog.text
