"""A cluster that starts polls at once, not at its first look at the schedules (30 s in)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.signals import post_spawn

from generations import poller
from neurocards.lib.leases import lease
from neurocards.schedules import POLLER, ensure_schedules

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # as in a real cluster, where post_spawn means a worker started
    handed = []
    monkeypatch.setattr("neurocards.schedules.async_task", lambda func, **options: handed.append((func, options)))
    ensure_schedules()
    return handed


def next_run_in(schedule_delay):
    Schedule.objects.filter(name=POLLER).update(next_run=timezone.now() + schedule_delay)


def test_it_starts_a_poller_when_a_worker_starts(enqueued):
    next_run_in(timedelta(minutes=1))  # just after the last run

    post_spawn.send(sender="django_q", proc_name="Process-1:1")

    assert [func for func, _ in enqueued] == ["generations.tasks.poll"] and "wait" not in enqueued[0][1]
    # The schedule follows that run by its period, instead of starting a second one beside it.
    assert Schedule.objects.get(name=POLLER).next_run <= timezone.now()


@pytest.mark.parametrize("schedule_delay", [timedelta(minutes=1), timedelta(seconds=-10)], ids=["ahead", "due"])
def test_it_has_one_runner_take_over_a_killed_pollers_lease_as_soon_as_it_lapses(enqueued, schedule_delay):
    next_run_in(schedule_delay)
    killed = lease("poller", seconds=poller.LEASE_SECONDS)
    assert killed.__enter__()  # never left: the cluster that held it was killed

    post_spawn.send(sender="django_q", proc_name="Process-1:1")
    post_spawn.send(sender="django_q", proc_name="Process-1:2")

    ((func, options),) = enqueued  # one waiting runner per cluster, not one per worker
    assert func == "generations.tasks.poll" and 0 < options["wait"] <= poller.LEASE_SECONDS + 1
    # And should that runner be lost, the schedule runs at its first check after the lease lapses.
    lapses = timezone.now() + timedelta(seconds=poller.LEASE_SECONDS)
    assert Schedule.objects.get(name=POLLER).next_run <= lapses
