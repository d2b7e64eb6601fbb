import pytest
from django.utils import timezone

from generations import pipeline, poller
from generations.models import Generation
from neurocards.lib.leases import lease
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


def in_flight(workers, count, monkeypatch):
    # The account's creation limit is another test's business: here, many tasks at once.
    monkeypatch.setattr(workers.kie, "create_limit", (10_000, 10.0))
    user = make_user(credits=10 * count)
    generations = []
    for _ in range(count // 5):
        generations += place_order(user, telegram=workers.telegram, count=5).generations
    for generation in generations:
        pipeline.submit(generation_id=generation.pk)
    Generation.objects.update(next_poll_at=timezone.now())
    return generations


def test_it_reads_every_task_within_each_keys_rate_and_finishes_them(workers, settings, monkeypatch):
    settings.KIE_POLL_RATE_PER_KEY = 9.5
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = settings.MAX_ACTIVE_ORDERS = 1000
    generations = in_flight(workers, 30, monkeypatch)
    workers.kie.too_many = 0

    summary = poller.run(seconds=8)

    assert summary.startswith("poller: ")
    assert workers.kie.too_many == 0
    reads = workers.kie.requests("recordInfo")
    assert len(reads) >= 30 and {call.key for call in reads} == set(workers.kie.keys)
    assert Generation.objects.filter(status="completed").count() == len(generations)


def test_it_lets_one_poller_run_at_a_time():
    with lease("poller", seconds=60) as first:
        assert first
        assert poller.run(seconds=1) == "another poller is running"
