"""/healthz says the process lives; /readyz says whether the deployment can work, and names what can't to the
callers /metrics answers (its token or an allowed address)."""

import os
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from messaging import sender
from neurocards.models import Heartbeat
from ops import health

pytestmark = pytest.mark.django_db

PUBLIC = "https://bot.example.com"
TOKEN = "readyz-metrics-token-0123456789abcdef"


@pytest.fixture
def ready(workers, settings):
    """Everything in place: a fresh watchdog beat and the webhook registered at our address."""
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.METRICS_TOKEN = TOKEN
    cache.delete(health.WEBHOOK_INFO_KEY)
    sender.api("setWebhook", {"url": f"{PUBLIC}/telegram/webhook/", "secret_token": "readyz-test"})
    Heartbeat.beat("watchdog")
    yield workers
    sender.api("deleteWebhook", {})
    cache.delete(health.WEBHOOK_INFO_KEY)


def probe(token=TOKEN, **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = Client().get("/readyz", headers=headers, **extra)
    return response.status_code, response.json()


def test_it_answers_healthz_while_the_process_lives():
    response = Client().get("/healthz")

    assert response.status_code == 200 and response.content == b"ok\n"


def test_it_is_ready_when_every_part_answers(ready):
    status, body = probe()

    assert status == 200
    assert body == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "worker": "ok", "telegram": "ok"}}


def test_it_names_a_worker_cluster_that_stopped_beating(ready):
    Heartbeat.objects.filter(name="watchdog").update(at=timezone.now() - timedelta(minutes=3))

    status, body = probe()

    assert status == 503
    assert body["failing"] == ["worker"] and body["checks"]["worker"] == "last worker heartbeat 180 s ago"


def test_it_names_a_cluster_that_never_ran(ready):
    Heartbeat.objects.all().delete()

    status, body = probe()

    assert (status, body["failing"], body["checks"]["worker"]) == (503, ["worker"], "no worker heartbeat yet")


def test_it_names_a_webhook_that_is_not_registered(ready):
    sender.api("deleteWebhook", {})

    status, body = probe()

    assert (status, body["failing"], body["checks"]["telegram"]) == (503, ["telegram"], "webhook not set")


def test_it_names_a_webhook_that_points_somewhere_else(ready):
    sender.api("setWebhook", {"url": "https://staging.example.com/telegram/webhook/"})

    status, body = probe()

    assert (status, body["checks"]["telegram"]) == (503, "webhook points elsewhere")


def test_it_asks_telegram_at_most_once_a_minute(ready):
    for _ in range(3):
        assert probe()[0] == 200

    assert len(ready.telegram.requests("getWebhookInfo")) == 1


def test_it_remembers_a_failed_answer_too(ready):
    ready.telegram.fail_next("getWebhookInfo", status=500, description="Internal Server Error")

    first, second = probe(), probe()

    assert first[0] == second[0] == 503
    assert first[1]["checks"]["telegram"] == "getWebhookInfo failed (Internal Server Error)"
    assert len(ready.telegram.requests("getWebhookInfo")) == 1


def test_it_says_only_ok_to_a_caller_without_credentials(ready):
    assert probe(token=None) == (200, {"status": "ok"})


def test_it_says_only_that_it_fails_to_a_caller_without_credentials(ready, settings):
    Heartbeat.objects.all().delete()
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert probe(token=None) == (503, {"status": "failing"})
    assert probe(token="wrong-token") == (503, {"status": "failing"})
    # X-Forwarded-For is believed only from a trusted proxy, and the test client is not one.
    assert probe(token=None, HTTP_X_FORWARDED_FOR="10.1.2.3") == (503, {"status": "failing"})


def test_it_names_the_failing_parts_to_an_allowed_address(ready, settings):
    Heartbeat.objects.all().delete()
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    status, body = probe(token=None)

    assert (status, body["failing"], body["checks"]["worker"]) == (503, ["worker"], "no worker heartbeat yet")


def test_it_leaves_telegram_out_in_debug_without_a_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.DEBUG = True
    settings.TELEGRAM_BOT_TOKEN = ""
    Heartbeat.beat("watchdog")

    status, body = probe()

    assert status == 200 and set(body["checks"]) == {"database", "broker", "worker"}


def test_it_names_a_redis_broker_that_does_not_answer(ready, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens

    status, body = probe()

    assert (status, body["failing"]) == (503, ["broker"])
    assert body["checks"]["broker"].startswith("redis unreachable")


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"), reason="REDIS_TEST_URL is not set")
def test_it_pings_redis_when_redis_is_the_broker(ready, settings):
    settings.REDIS_URL = os.environ["REDIS_TEST_URL"]

    status, body = probe()

    assert (status, body["checks"]["broker"]) == (200, "ok")
