"""A duplicate delivery of a Veo order's submit task never creates a second Veo task at KIE."""

import pytest

from generations import pipeline
from generations.models import Generation
from tests.concurrency import race
from tests.veo_helpers import VEO_GENERATE, assert_charged_once, veo_on, veo_order


@pytest.fixture
def veo(workers, settings):
    veo_on(settings)
    return workers


@pytest.mark.django_db
def test_it_creates_one_veo_task_when_the_submit_task_is_delivered_twice(veo, commit):
    (generation,) = veo_order(veo, telegram_id=6363)

    results = [commit(pipeline.submit, generation_id=generation.pk) for _ in range(2)]

    assert results == ["processing", "not queued"]
    (task_id,) = veo.kie.tasks
    assert Generation.objects.get(pk=generation.pk).provider_task_id == task_id
    assert len(veo.kie.requests(VEO_GENERATE)) == 1
    assert_charged_once(generation, refunded=False)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_creates_one_veo_task_when_workers_race_on_one_submit(veo, enqueued):
    # Committed at once in this test, the order would be submitted inline: `enqueued` keeps it queued.
    (generation,) = veo_order(veo, telegram_id=6364)
    assert enqueued == [generation.pk]

    outcomes = race(lambda: pipeline.submit(generation_id=generation.pk), threads=6)

    assert [error for _, error in outcomes if error] == []
    results = sorted(result for result, _ in outcomes)
    assert results.count("processing") == 1
    assert set(results) - {"processing"} <= {"not queued", "claimed elsewhere"}
    (task_id,) = veo.kie.tasks
    generation.refresh_from_db()
    assert (generation.status, generation.provider_task_id, generation.attempts) == ("processing", task_id, 1)
    assert len(veo.kie.requests(VEO_GENERATE)) == 1
    assert_charged_once(generation, refunded=False)
