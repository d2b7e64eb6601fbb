"""The offline provider makes real media, and shows every failure path on demand."""

import pytest

from generations import media, pipeline
from generations.models import Generation
from generations.providers import get_provider
from generations.providers.local import LocalProvider
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(workers, settings):
    settings.GENERATION_PROVIDER = "local"
    settings.LOCAL_PROVIDER_DELAY_SECONDS = 0
    settings.LOCAL_PROVIDER_VIDEO_SECONDS = 1.0
    get_provider.cache_clear()
    yield workers
    get_provider.cache_clear()


@pytest.mark.parametrize(
    "kind, check",
    [
        ("video", lambda content: media.probe_video(content)[:3] == ("h264", 720, 1280)),
        ("image", lambda content: media.probe_image(content) == ("JPEG", 1200, 1600)),
    ],
)
def test_it_makes_a_real_result_without_any_network(offline, kind, check):
    (generation,) = place_order(
        make_user(credits=50), telegram=offline.telegram, kind=kind, template="ugc" if kind == "video" else "studio"
    ).generations

    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    pipeline.poll(generation)

    generation.refresh_from_db()
    assert generation.status == "completed" and generation.provider == "local"
    with generation.result_file.open("rb") as file:
        assert check(file.read())
    assert offline.kie.calls == []


@pytest.mark.parametrize(
    "outcome, status, error_class",
    [
        ("user", "failed", "user"),
        ("billing", "queued", "billing"),  # the account out of credits pauses the queue
        ("temporary", "queued", "temporary"),
        ("rate_limit", "queued", "rate_limit"),
    ],
)
def test_it_fails_on_demand_in_every_way(offline, outcome, status, error_class, django_capture_on_commit_callbacks):
    provider = get_provider()
    provider.failures = {outcome: 1.0}
    (generation,) = place_order(make_user(credits=50), telegram=offline.telegram).generations

    with django_capture_on_commit_callbacks(execute=True):
        pipeline.submit(generation_id=generation.pk)
        generation.refresh_from_db()
        if generation.status == "processing":
            pipeline.poll(generation)

    generation.refresh_from_db()
    assert (generation.status, generation.error_class) == (status, error_class)


def test_it_waits_the_configured_delay(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    provider = LocalProvider(delay=60, failures={})
    url = provider.upload_reference(content=b"x", filename="p.jpg")

    task = provider.create_task(kind="image", prompt="p", image_url=url, callback_url=None)

    assert provider.get_task(task).state == "pending"
    assert not Generation.objects.exists()
