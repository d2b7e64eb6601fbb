"""A Veo 3.1 order end to end against the fakes: photo → prompt → Veo task → poll or callback → video delivered."""

import pytest
from django.utils import timezone

from generations import pipeline
from generations.models import Generation
from generations.providers import get_provider
from tests.factories import make_user, place_order
from tests.veo_helpers import VEO_GENERATE, VEO_READ, assert_charged_once, veo_on, veo_order

HMAC_KEY = "kie-hmac-veo-key"


@pytest.fixture
def veo(workers, settings):
    veo_on(settings)
    return workers


@pytest.mark.django_db
def test_it_makes_a_veo_video_from_the_photo_and_sends_it_to_the_seller(veo):
    (generation,) = veo_order(veo, telegram_id=6161)

    assert pipeline.submit(generation_id=generation.pk) == "processing"
    generation.refresh_from_db()
    assert pipeline.poll(generation) == "success"  # finish runs inline (django-q2 sync in tests)

    generation.refresh_from_db()
    assert generation.status == "completed" and generation.result_file.name.endswith(".mp4")
    assert (generation.model, generation.ordered_model, generation.cost) == ("veo3_fast", "veo3_fast", 20)
    assert generation.provider_task_id.startswith("veo_task_")
    (create,) = veo.kie.requests(VEO_GENERATE)
    assert create.params == {
        "prompt": generation.final_prompt,
        "imageUrls": [veo.kie.uploads[0].data()["downloadUrl"]],
        "model": "veo3_fast",
        "aspect_ratio": "9:16",
        "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
        "enableFallback": False,
        "enableTranslation": True,
    }
    assert [call.params["taskId"] for call in veo.kie.requests(VEO_READ)] == [generation.provider_task_id]
    assert veo.kie.requests("createTask") == [] and veo.kie.requests("recordInfo") == []
    video = veo.telegram.requests("sendVideo")[-1]
    assert video.params["chat_id"] == 6161 and f"#{generation.pk}" in video.params["caption"]
    with generation.result_file.open("rb") as stored:
        assert video.files["video"][1] == stored.read()
    assert_charged_once(generation, refunded=False)


@pytest.mark.django_db
def test_it_sends_veo_its_callback_url_when_the_app_is_public(veo, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    (generation,) = veo_order(veo, telegram_id=6162)

    pipeline.submit(generation_id=generation.pk)

    (create,) = veo.kie.requests(VEO_GENERATE)
    assert create.params["callBackUrl"] == (
        f"https://bot.example.com/generations/kie/callback/{generation.callback_token}/"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_veo_video_the_callback_woke_up(veo, settings, bot_server, enqueued):
    """KIE's own callback reaches the app over HTTP, wakes the generation up, and the next read delivers it."""
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    settings.KIE_WEBHOOK_HMAC_KEY = veo.kie.hmac_key = HMAC_KEY
    veo.kie.callback_origin = bot_server.url  # https://bot.example.com is the app under test
    veo.kie.program(after_polls=1000)  # reads alone would not see it finish soon
    (generation,) = veo_order(veo, telegram_id=6163)
    assert pipeline.submit(generation_id=generation.pk) == "processing"
    later = timezone.now() + timezone.timedelta(minutes=5)
    Generation.objects.filter(pk=generation.pk).update(next_poll_at=later)
    generation.refresh_from_db()

    veo.kie.finish(generation.provider_task_id)
    (delivery,) = veo.kie.wait_for_callbacks(1)

    assert delivery.status == 200 and delivery.json()["data"]["taskId"] == generation.provider_task_id
    generation.refresh_from_db()
    assert generation.status == "processing" and generation.next_poll_at <= timezone.now()
    assert generation.result_url == ""  # the callback's URLs are never trusted: the next read fetches them
    assert pipeline.poll(generation) == "success"
    generation.refresh_from_db()
    assert generation.status == "completed"
    assert len(veo.telegram.requests("sendVideo")) == 1
    assert_charged_once(generation, refunded=False)


@pytest.mark.django_db
def test_it_makes_a_veo_quality_video_when_that_model_is_ordered(veo, settings):
    settings.VIDEO_MODELS = ["veo3_fast", "veo3"]
    user = make_user(credits=100, telegram_id=6164)
    (generation,) = place_order(user, telegram=veo.telegram, model="veo3").generations

    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    pipeline.poll(generation)

    generation.refresh_from_db()
    assert (generation.status, generation.model, generation.cost) == ("completed", "veo3", 80)
    (create,) = veo.kie.requests(VEO_GENERATE)
    assert create.params["model"] == "veo3" and veo.kie.tasks[generation.provider_task_id].model == "veo3"
    assert_charged_once(generation, refunded=False)


@pytest.mark.django_db
def test_it_cuts_a_longer_prompt_to_veos_limit(veo):
    provider = get_provider()
    assert provider.max_prompt_length("video", "veo3_fast") == 5000 < provider.max_prompt_length("video", "sora2")

    provider.create_task(
        kind="video", prompt="a" * 6000, image_url="https://files.example.com/p.jpg", callback_url=None, model="veo3"
    )

    (create,) = veo.kie.requests(VEO_GENERATE)
    assert create.params["prompt"] == "a" * 5000
