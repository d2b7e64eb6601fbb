"""Two video models on the fake KIE (Sora 2 and Veo 3.1 Fast) with VIDEO_FALLBACK, and what tests read of them.

Sora 2 is made through the fake's jobs API and Veo 3.1 Fast through its own (`/api/v1/veo/…`), as in production.
"""

import pytest

from generations.models import Generation
from tests.factories import make_user, place_order

SORA = "sora-2-image-to-video"


@pytest.fixture
def two_models(workers, settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]
    settings.VIDEO_FALLBACK = True
    settings.BREAKER_FAILURES = 3
    return workers


def sora_creates(workers):
    return [call for call in workers.kie.requests("/api/v1/jobs/createTask") if call.params.get("model") == SORA]


def veo_creates(workers):
    return workers.kie.requests("/api/v1/veo/generate")


def video_order(workers, telegram_id, **options):
    """One video (or what `kind` says) of a new seller with 500 credits; `model` as the seller chose (the
    default when absent)."""
    user = make_user(credits=500, telegram_id=telegram_id)
    options = {"kind": "video", "title": "Термокружка 350 мл", **options}
    (generation,) = place_order(user, telegram=workers.telegram, **options).generations
    return generation


def reload(generation):
    return Generation.objects.get(pk=generation.pk)
