"""A video lasts what the seller ordered (Sora 2: 10 or 15 s) and costs that duration's price
(settings.VIDEO_COSTS): the provider, the prompt writer, the deadline, the charge and the refund agree."""

import uuid

import pytest

from billing.models import CreditTransaction
from generations import media, pipeline, services
from generations.models import Generation
from generations.providers import get_provider
from tests.factories import make_user, place_order
from tests.test_configuration import manage
from tests.test_startup_checks import PRODUCTION

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced(settings):
    # 15 s dearer than in proportion, so a charge at the wrong duration's price shows.
    settings.VIDEO_COSTS = {10: 10, 15: 17}


def test_it_sends_15_seconds_to_sora_and_charges_their_price(workers, priced):
    user = make_user(credits=100)

    (generation,) = place_order(user, telegram=workers.telegram, seconds=15).generations
    pipeline.submit(generation_id=generation.pk)

    user.refresh_from_db()
    assert generation.seconds == 15 and generation.cost == 17 and user.balance == 83
    assert CreditTransaction.objects.get(generation=generation).amount == -17
    assert workers.kie.requests("createTask")[0].params["input"]["n_frames"] == "15"
    system = workers.openai.requests("/chat/completions")[0].params["messages"][0]["content"]
    assert "the video is 15 seconds" in system


def test_it_writes_the_template_prompt_for_the_ordered_duration(workers, priced, settings):
    settings.OPENAI_API_KEY = ""
    (generation,) = place_order(make_user(credits=100), telegram=workers.telegram, seconds=15).generations

    pipeline.submit(generation_id=generation.pk)

    assert "vertical 9:16, 15 seconds" in workers.kie.requests("createTask")[0].params["input"]["prompt"]


def test_it_refunds_the_price_of_the_duration(workers, priced, django_capture_on_commit_callbacks):
    user = make_user(credits=100)
    (generation,) = place_order(user, telegram=workers.telegram, seconds=15).generations
    workers.kie.program(outcome="fail", fail_code="400", fail_msg="Your content was flagged by moderation")

    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    pipeline.poll(generation)

    user.refresh_from_db()
    generation.refresh_from_db()
    assert generation.status == "failed" and user.balance == 100
    refund = CreditTransaction.objects.get(generation=generation, kind=CreditTransaction.Kind.GENERATION_REFUND)
    assert refund.amount == 17


def test_it_refuses_a_duration_that_is_not_priced(priced):
    user = make_user(credits=100)

    with pytest.raises(ValueError, match="seconds must be one of"):
        services.create_order(
            user=user,
            kind="video",
            template="ugc",
            description="Кружка",
            wishes="",
            reference_file_id="file",
            count=1,
            order_id=uuid.uuid4(),
            seconds=12,
        )

    user.refresh_from_db()
    assert user.balance == 100 and not Generation.objects.exists()


@pytest.mark.parametrize("seconds, minutes", [(10, 30), (15, 45)])
def test_it_gives_a_longer_video_a_longer_deadline(workers, priced, settings, seconds, minutes):
    settings.VIDEO_TIMEOUT_MINUTES = 30
    (generation,) = place_order(make_user(credits=100), telegram=workers.telegram, seconds=seconds).generations

    pipeline.submit(generation_id=generation.pk)

    generation.refresh_from_db()
    assert (generation.timeout_at - generation.submitted_at).total_seconds() == minutes * 60


@pytest.mark.parametrize("seconds, length", [(10, 1.0), (15, 1.5)])
def test_it_makes_the_offline_clip_longer_for_a_longer_order(workers, priced, settings, seconds, length):
    settings.GENERATION_PROVIDER = "local"
    settings.LOCAL_PROVIDER_DELAY_SECONDS = 0
    settings.LOCAL_PROVIDER_VIDEO_SECONDS = 1.0
    get_provider.cache_clear()
    (generation,) = place_order(make_user(credits=100), telegram=workers.telegram, seconds=seconds).generations

    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    pipeline.poll(generation)

    generation.refresh_from_db()
    with generation.result_file.open("rb") as file:
        assert media.probe_video(file.read())[3] == pytest.approx(length, abs=0.1)
    get_provider.cache_clear()


@pytest.mark.parametrize("costs", ["12=10", "15=15", "10=10,15=0"])
def test_it_stops_on_durations_the_model_cannot_make_or_a_missing_default(costs):
    run = manage("check", **{**PRODUCTION, "VIDEO_COSTS": costs})

    assert run.returncode != 0
    assert "neurocards.E107" in run.stderr and "VIDEO_COSTS" in run.stderr
