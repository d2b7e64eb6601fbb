"""Two video models on the fake KIE (Sora 2 and Veo 3.1 Fast) with VIDEO_FALLBACK, and what tests read of them.

Sora 2 is made through the fake's jobs API as in production. Veo 3.1 Fast is made by its adapter when the
provider has one (generations/providers/kie.py, `/api/v1/veo/…` on the fake); until it does, by a stand-in
adapter that sends it through the fake's generic jobs API (models named "veo…"): the pipeline, the
take-over and the ledger are what these tests are about, and they are the same either way.
"""

import pytest

from generations.models import Generation
from generations.providers import kie
from tests.factories import make_user, place_order

SORA = "sora-2-image-to-video"


class StandInVeo(kie.KieModel):
    name = "veo3_fast"
    max_prompt = 5000

    def build_input(self, *, prompt, image_url, aspect=None, seconds=None):
        return {"prompt": prompt, "image_urls": [image_url], "aspect_ratio": "9:16"}


@pytest.fixture
def two_models(workers, settings, monkeypatch):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]
    settings.VIDEO_FALLBACK = True
    settings.BREAKER_FAILURES = 3
    if "veo3_fast" not in kie.MODELS:
        monkeypatch.setitem(kie.MODELS, "veo3_fast", StandInVeo())
    return workers


def sora_creates(workers):
    return [call for call in workers.kie.requests("/api/v1/jobs/createTask") if call.params.get("model") == SORA]


def veo_creates(workers):
    generic = [
        call
        for call in workers.kie.requests("/api/v1/jobs/createTask")
        if str(call.params.get("model", "")).startswith("veo")
    ]
    return generic + workers.kie.requests("/api/v1/veo/generate")


def video_order(workers, telegram_id, **options):
    """One video (or what `kind` says) of a new seller with 500 credits; `model` as the seller chose (the
    default when absent)."""
    user = make_user(credits=500, telegram_id=telegram_id)
    options = {"kind": "video", "title": "Термокружка 350 мл", **options}
    (generation,) = place_order(user, telegram=workers.telegram, **options).generations
    return generation


def reload(generation):
    return Generation.objects.get(pk=generation.pk)
