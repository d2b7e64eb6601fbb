"""One task whose answers are junk delays no other generation: the poll pass goes on, the task waits its turn."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from generations import pipeline, poller
from generations.models import Generation
from generations.providers import get_provider
from tests.test_poller import in_flight

pytestmark = pytest.mark.django_db

# The shortest wait the poller leaves between two reads of one task (pipeline._poll_interval: 2-3 s at first).
ONE_POLL_INTERVAL = 2.0
SPACING = 0.1  # one task becomes due every 0.1 s: about half of what two keys at 9.5 reads/s can take


def test_it_reads_every_other_task_within_one_poll_interval_of_it_becoming_due(workers, settings, monkeypatch):
    settings.KIE_POLL_RATE_PER_KEY = 9.5
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = settings.MAX_ACTIVE_ORDERS = 1000
    handed_out = []
    monkeypatch.setattr("generations.pipeline.async_task", lambda name, pk, *args, **kwargs: handed_out.append(pk))
    junk, *others = Generation.objects.filter(pk__in=[g.pk for g in in_flight(workers, 50, monkeypatch)]).order_by("pk")
    workers.kie.junk_for(junk.provider_task_id, "data_not_object")
    started, now = time.monotonic(), timezone.now()
    # The junk task is first in line; the others fall due one after another behind it.
    Generation.objects.filter(pk=junk.pk).update(next_poll_at=now - timedelta(seconds=1))
    due_at = {}
    for index, generation in enumerate(others, start=1):
        Generation.objects.filter(pk=generation.pk).update(next_poll_at=now + timedelta(seconds=SPACING * index))
        due_at[generation.provider_task_id] = started + SPACING * index

    summary = poller.run(seconds=SPACING * len(others) + 2 * ONE_POLL_INTERVAL)

    assert summary.startswith("poller: ")
    reads = [call for call in workers.kie.requests("recordInfo") if call.at >= started]
    first_read = {}
    for call in reads:
        first_read.setdefault(call.params["taskId"], call.at)
    late = {
        task: round(first_read[task] - due, 2)
        for task, due in due_at.items()
        if first_read.get(task, float("inf")) - due > ONE_POLL_INTERVAL
    }
    assert late == {}
    assert sorted(handed_out) == sorted(generation.pk for generation in others)
    junk.refresh_from_db()
    # Read, pushed back by 5 s, read again, pushed back by 10 s: never first in line again.
    junk_reads = [call for call in reads if call.params["taskId"] == junk.provider_task_id]
    assert junk.status == "processing" and junk.poll_errors == len(junk_reads) and 1 <= len(junk_reads) <= 3


def test_it_goes_on_when_a_read_raises_or_its_result_cannot_be_applied(workers, settings, monkeypatch):
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = settings.MAX_ACTIVE_ORDERS = 1000
    monkeypatch.setattr("generations.pipeline.async_task", lambda *args, **kwargs: None)
    broken, unlucky, *others = Generation.objects.filter(
        pk__in=[g.pk for g in in_flight(workers, 10, monkeypatch)]
    ).order_by("pk")
    provider, real_read, real_succeeded = get_provider(), get_provider().get_task, pipeline._succeeded

    def read(task_id, *, key=None, model=None):
        if task_id == broken.provider_task_id:
            raise KeyError("resultUrls")  # a parsing bug, not a ProviderError
        return real_read(task_id, key=key, model=model)

    def succeeded(generation, state):
        if generation.pk == unlucky.pk:
            raise RuntimeError("the database hiccuped")
        return real_succeeded(generation, state)

    monkeypatch.setattr(provider, "get_task", read)
    monkeypatch.setattr(pipeline, "_succeeded", succeeded)
    started = timezone.now()

    summary = poller.run(seconds=3)

    assert summary.startswith("poller: ")
    for generation in (broken, unlucky):
        generation.refresh_from_db()
        # Pushed back by the 5 s of a first failed read: it does not stay first in line.
        assert generation.poll_errors == 1 and generation.next_poll_at >= started + timedelta(seconds=5)
    assert Generation.objects.filter(pk__in=[g.pk for g in others], next_poll_at=None).exclude(
        result_url=""
    ).count() == len(others)
