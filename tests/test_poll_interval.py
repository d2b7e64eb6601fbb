"""How soon a task in flight is read again: KIE's pace early on, and after two minutes within a share of its age,
so a result that comes late is noticed within ~max(10 s, 8 %) of the generation's time, never more than KIE's 30 s."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generations import pipeline
from generations.models import Generation
from generations.providers.base import TaskState
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db


def read_pending(age_seconds):
    """A generation submitted `age_seconds` ago, read once more and still pending: seconds to its next read."""
    (generation,) = make_generations(make_user(credits=50))
    submitted = timezone.now() - timedelta(seconds=age_seconds)
    Generation.objects.filter(pk=generation.pk).update(
        status="processing", provider_task_id="task-1", submitted_at=submitted, next_poll_at=timezone.now()
    )
    generation.refresh_from_db()
    before = timezone.now()
    pipeline.apply_poll(generation, state=TaskState("pending"))
    generation.refresh_from_db()
    return (generation.next_poll_at - before).total_seconds()


@pytest.mark.parametrize(("age", "low", "high"), [(10, 2, 3), (60, 5, 10)])
def test_it_reads_a_young_task_at_kies_pace(age, low, high):
    for _ in range(20):
        assert low <= read_pending(age) <= high + 0.5


@pytest.mark.parametrize("age", [125, 180, 300])
def test_it_reads_a_late_task_again_within_a_share_of_its_age(age):
    longest = max(10, 0.08 * age)
    for _ in range(20):
        assert longest / 2 <= read_pending(age) <= longest + 0.5


def test_it_reads_an_old_task_no_more_often_than_kie_advises():
    for _ in range(20):
        assert 15 <= read_pending(20 * 60) <= 30.5
