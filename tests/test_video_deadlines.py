"""Each video model has its own deadline (VIDEO_TIMEOUTS), and the offline provider makes every model's videos,
so the demo shows a take-over with VIDEO_MODELS=sora2,veo3_fast."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generations import media, pipeline, watchdog
from generations.models import Generation
from generations.providers import get_provider
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(workers, settings):
    settings.GENERATION_PROVIDER = "local"
    settings.LOCAL_PROVIDER_DELAY_SECONDS = 0
    settings.LOCAL_PROVIDER_VIDEO_SECONDS = 1.0
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    settings.VIDEO_TIMEOUT_MINUTES = 30
    get_provider.cache_clear()
    yield workers
    get_provider.cache_clear()


def submitted(workers, telegram_id, **options):
    (generation,) = place_order(
        make_user(credits=500, telegram_id=telegram_id), telegram=workers.telegram, **options
    ).generations
    pipeline.submit(generation_id=generation.pk)
    return Generation.objects.get(pk=generation.pk)


def deadline(generation):
    return generation.timeout_at - generation.submitted_at


def test_it_gives_each_model_its_deadline(offline, settings):
    settings.VIDEO_TIMEOUTS = {"veo3_fast": 12}

    sora = submitted(offline, 5501)
    long_sora = submitted(offline, 5502, seconds=15)
    fast = submitted(offline, 5503, model="veo3_fast")
    quality = submitted(offline, 5504, model="veo3")

    assert [deadline(g) for g in (sora, long_sora, fast, quality)] == [
        timedelta(minutes=30),  # VIDEO_TIMEOUT_MINUTES, Sora 2's
        timedelta(minutes=45),  # half as long again for 15 s
        timedelta(minutes=12),  # VIDEO_TIMEOUTS
        timedelta(minutes=20),  # Veo 3.1 Quality's own
    ]


def test_it_fails_a_veo_video_past_its_own_deadline_and_not_a_sora_one_of_the_same_age(offline, settings, commit):
    settings.VIDEO_TIMEOUTS = {"veo3_fast": 12}
    settings.LOCAL_PROVIDER_DELAY_SECONDS = 3600
    get_provider.cache_clear()
    sora = submitted(offline, 5511)
    fast = submitted(offline, 5512, model="veo3_fast")
    thirteen_minutes_ago = timezone.now() - timedelta(minutes=13)
    for generation in (sora, fast):
        Generation.objects.filter(pk=generation.pk).update(
            submitted_at=thirteen_minutes_ago, timeout_at=thirteen_minutes_ago + deadline(generation)
        )

    commit(watchdog.run)

    assert Generation.objects.get(pk=sora.pk).status == "processing"
    assert (Generation.objects.get(pk=fast.pk).status, Generation.objects.get(pk=fast.pk).error_class) == (
        "failed",
        "timeout",
    )


def test_it_makes_a_veo_video_offline_when_sora_is_refused(offline, settings, commit):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]
    settings.VIDEO_FALLBACK = True
    get_provider().failures = {"sora2:configuration": 1.0}
    (generation,) = place_order(
        make_user(credits=500, telegram_id=5521), telegram=offline.telegram, title="Кружка"
    ).generations

    assert commit(pipeline.submit, generation_id=generation.pk) == "model paused"
    assert commit(pipeline.poll, Generation.objects.get(pk=generation.pk)) == "success"

    generation = Generation.objects.get(pk=generation.pk)
    assert (generation.status, generation.provider, generation.model, generation.seconds) == (
        "completed",
        "local",
        "veo3_fast",
        8,
    )
    with generation.result_file.open("rb") as file:
        assert media.probe_video(file.read())[:3] == ("h264", 720, 1280)
    (video,) = offline.telegram.requests("sendVideo", chat_id=5521)
    assert video.params["caption"].endswith("это видео сделала Veo 3.1 Fast (8 с).")
