"""One task whose answers are junk delays no other generation: the poll pass goes on, the task waits its turn."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from generations import poller
from generations.models import Generation
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
    late = {task: round(first_read[task] - due, 2) for task, due in due_at.items()
            if first_read.get(task, float("inf")) - due > ONE_POLL_INTERVAL}
    assert late == {}
    assert sorted(handed_out) == sorted(generation.pk for generation in others)
    junk.refresh_from_db()
    # Read, pushed back by 5 s, read again, pushed back by 10 s: never first in line again.
    junk_reads = [call for call in reads if call.params["taskId"] == junk.provider_task_id]
    assert junk.status == "processing" and junk.poll_errors == len(junk_reads) and 1 <= len(junk_reads) <= 3
