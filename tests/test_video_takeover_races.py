"""Workers racing to take one queued video over: it is switched once and one task is created."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import ledger
from generations import pipeline
from generations.models import Generation, GenerationEvent, ProviderHealth
from tests.concurrency import race
from tests.takeover_helpers import reload, sora_creates, two_models, veo_creates, video_order  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("two_models")]


def test_it_switches_once_and_creates_one_task_when_workers_race_the_take_over(workers, settings):
    ProviderHealth.objects.create(provider="kie:sora2", open_until=timezone.now() + timedelta(minutes=2))
    # Its hand-out at commit finds Sora held and none to take over yet: fallback is turned on after.
    settings.VIDEO_FALLBACK = False
    generation = video_order(workers, telegram_id=5401)
    assert reload(generation).status == "queued"
    settings.VIDEO_FALLBACK = True

    outcomes = race(lambda: pipeline.submit(generation_id=generation.pk), threads=6)

    assert [error for _, error in outcomes if error] == []
    assert sum(result == "processing" for result, _ in outcomes) == 1
    generation = reload(generation)
    assert (generation.status, generation.model, generation.attempts) == ("processing", "veo3_fast", 1)
    assert GenerationEvent.objects.filter(generation=generation, kind="takeover").count() == 1
    assert len(veo_creates(workers)) == 1 and sora_creates(workers) == []
    assert Generation.objects.get(pk=generation.pk).provider_task_id
    assert ledger.find_mismatches() == []
