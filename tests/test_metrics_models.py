"""/metrics by video model: generations by model and status, take-overs (made by another model than the one
ordered) in the last hour and day, and each enabled model's pause with its reasons, read in one query."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from generations import breaker
from generations.models import Generation, ProviderHealth
from tests.factories import make_generations, make_user
from tests.test_metrics import parse, scrape

pytestmark = pytest.mark.django_db
REASONS = ("breaker", "configuration", "billing")


@pytest.fixture
def models(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "metrics-token-0123456789", []
    settings.GENERATION_PROVIDER = "kie"
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]


def made(user, model, ordered=None, hours_ago=0, **fields):
    (generation,) = make_generations(user, kind="image" if model == "nano-banana" else "video")
    created = timezone.now() - timedelta(hours=hours_ago)
    Generation.objects.filter(pk=generation.pk).update(
        model=model, ordered_model=ordered or model, created_at=created, **fields
    )


def paused(samples):
    return {
        (labels.split('"')[1], labels.split('"')[3]): value
        for (name, labels), value in samples.items()
        if name == "neurocards_model_paused"
    }


def test_it_counts_generations_by_model_and_status_every_enabled_model_present(models):
    user = make_user()
    made(user, "sora2", status="completed")
    made(user, "sora2", status="failed")
    made(user, "veo3_fast", ordered="sora2", status="completed")
    made(user, "nano-banana", status="queued")
    made(user, "veo3", status="completed")  # a model turned off since

    samples = parse(scrape().content.decode())

    family = "neurocards_generations_by_model"
    assert samples[(family, 'model="sora2",status="completed"')] == 1
    assert samples[(family, 'model="sora2",status="failed"')] == 1
    assert samples[(family, 'model="veo3_fast",status="completed"')] == 1
    assert samples[(family, 'model="veo3_fast",status="failed"')] == 0
    assert samples[(family, 'model="nano-banana",status="queued"')] == 1
    assert samples[(family, 'model="veo3",status="completed"')] == 1


def test_it_counts_the_take_overs_of_each_ordered_model_in_the_last_hour_and_day(models):
    user = make_user()
    made(user, "veo3_fast", ordered="sora2")
    made(user, "veo3_fast", ordered="sora2", hours_ago=3)
    made(user, "veo3_fast", ordered="sora2", hours_ago=30)
    made(user, "sora2")

    samples = parse(scrape().content.decode())

    family = "neurocards_generations_taken_over"
    assert samples[(family, 'ordered_model="sora2",window="1h"')] == 1
    assert samples[(family, 'ordered_model="sora2",window="24h"')] == 2
    assert samples[(family, 'ordered_model="veo3_fast",window="24h"')] == 0


def test_it_says_which_enabled_model_is_paused_and_why(models, settings):
    now = timezone.now()
    ProviderHealth.objects.create(provider="kie:sora2", open_until=now + timedelta(minutes=5))
    ProviderHealth.objects.create(provider="kie:veo3_fast", config_paused_until=now + timedelta(minutes=5))
    ProviderHealth.objects.create(provider="kie:veo3", open_until=now + timedelta(minutes=5))  # not enabled
    breaker.pause_billing("kie")

    shown = paused(parse(scrape().content.decode()))

    assert shown == {
        ("sora2", "breaker"): 1,
        ("sora2", "configuration"): 0,
        ("sora2", "billing"): 1,
        ("veo3_fast", "breaker"): 0,
        ("veo3_fast", "configuration"): 1,
        ("veo3_fast", "billing"): 1,
    }
    for model in settings.VIDEO_MODELS:
        assert [reason for reason in REASONS if shown[(model, reason)]] == [
            reason for reason in REASONS if reason in breaker.why_held("kie", model)
        ]


def test_it_shows_every_enabled_model_unpaused_when_all_go(models):
    ProviderHealth.objects.create(provider="kie:sora2", open_until=timezone.now() - timedelta(seconds=1))

    shown = paused(parse(scrape().content.decode()))

    assert set(shown) == {(model, reason) for model in ("sora2", "veo3_fast") for reason in REASONS}
    assert set(shown.values()) == {0}


def test_it_keeps_the_provider_pause_as_it_was(models):
    breaker.pause_billing("kie")

    samples = parse(scrape().content.decode())

    assert samples[("neurocards_provider_paused", 'provider="kie",reason="billing"')] == 1
    assert samples[("neurocards_provider_paused", 'provider="kie",reason="breaker"')] == 0


def test_it_reads_the_models_in_as_many_queries_whatever_their_number(models, settings):
    made(make_user(), "sora2")
    scrape()  # the content types and the like, cached from here on

    settings.VIDEO_MODELS = ["sora2"]
    with CaptureQueriesContext(connection) as one:
        scrape()
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    for key in ("sora2", "veo3_fast", "veo3"):
        ProviderHealth.objects.create(provider=f"kie:{key}", open_until=timezone.now() + timedelta(minutes=1))
    with CaptureQueriesContext(connection) as three:
        scrape()

    assert len(three) == len(one)


def test_it_reads_the_reasons_of_many_models_as_why_held_does_in_one_query(django_assert_num_queries):
    now = timezone.now()
    ProviderHealth.objects.create(provider="kie", open_until=now + timedelta(minutes=1))
    ProviderHealth.objects.create(provider="kie:veo3", config_paused_until=now + timedelta(minutes=1))
    ProviderHealth.objects.create(provider="kie:veo3_fast", billing_paused_at=now)  # the account's, not a model's

    with django_assert_num_queries(1):
        held = breaker.held_models("kie", ["sora2", "veo3_fast", "veo3"])

    assert held == {key: breaker.why_held("kie", key) for key in ("sora2", "veo3_fast", "veo3")}
    assert held["veo3"] == ["breaker", "configuration"] and held["veo3_fast"] == ["breaker"]
