"""/metrics: Prometheus text for a token or an allowed address; counts shared by every process."""

import re

import pytest
from django.db import InterfaceError
from django.test import Client
from django_q.signals import post_execute_in_worker

from accounts.models import TelegramUser
from billing import ledger
from billing.models import Payment
from generations.models import Generation
from generations.providers import get_provider
from messaging import sender
from neurocards.metrics import counters
from neurocards.metrics.models import Sample
from neurocards.models import Alert
from neurocards.schedules import SCHEDULES
from ops import monitoring
from tests.factories import make_generations, make_payment, make_user

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"
SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(?:\{((?:[a-z_]+="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$')


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


def scrape(**headers):
    return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)


def parse(text):
    """{(name, labels): value}, checking every line is HELP, TYPE or a well-formed sample."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        name, labels, value = match.groups()
        assert any(name == family or name.startswith(f"{family}_") for family in typed), f"{name} has no TYPE"
        samples[(name, labels or "")] = float(value)
    return samples


def value(name, labels=""):
    return parse(scrape().content.decode()).get((name, labels))


def test_it_answers_the_bearer_token_only(token):
    assert Client().get("/metrics").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    response = scrape()

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


@pytest.mark.parametrize(
    "peer, forwarded, status",
    [
        ("127.0.0.1", "10.1.2.3", 200),  # our proxy forwarding the Prometheus server
        ("10.1.2.3", None, 200),  # Prometheus straight at the app
        ("127.0.0.1", "203.0.113.5", 403),  # our proxy forwarding a stranger
        ("203.0.113.5", "10.1.2.3", 403),  # a stranger claiming an allowed address
    ],
)
def test_it_answers_an_allowed_address_without_a_token(settings, peer, forwarded, status):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}

    assert Client().get("/metrics", REMOTE_ADDR=peer, **headers).status_code == status


def test_it_does_not_exist_until_a_token_or_an_address_is_configured(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_it_counts_generations_payments_updates_and_the_queue(token):
    user = make_user()
    make_generations(user, count=3)
    failed = make_generations(user, count=2, kind="image")
    Generation.objects.filter(pk__in=[g.pk for g in failed]).update(status="failed", error_class="user")
    make_payment(user)
    Payment.objects.filter(pk=make_payment(user, method="stars", currency="XTR").pk).update(status="succeeded")

    samples = parse(scrape().content.decode())

    assert samples[("neurocards_generations", 'kind="video",status="queued"')] == 3
    assert samples[("neurocards_generations", 'kind="image",status="failed"')] == 2
    assert samples[("neurocards_generations", 'kind="video",status="completed"')] == 0
    assert samples[("neurocards_generations_failed", 'error_class="user"')] == 2
    assert samples[("neurocards_payments", 'method="yookassa",status="pending"')] == 1
    assert samples[("neurocards_payments", 'method="stars",status="succeeded"')] == 1
    assert samples[("neurocards_queue_depth", 'state="waiting"')] == 0
    assert ("neurocards_telegram_updates", 'window="1h"') in samples
    assert samples[("neurocards_alerts_open", "")] == 0


def test_it_adds_up_what_each_worker_sent_and_how_often_telegram_said_429(token, workers, monkeypatch):
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    counters.flush()
    sent, too_many = (value(name) or 0 for name in counters.SENDER_STATS.values())
    workers.telegram.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    sender.send_message(5151, "one")
    sender.send_message(5151, "two")

    # The task ends in a qcluster worker: what that process counted goes to the shared table.
    post_execute_in_worker.send(sender="django_q", func=None, task={"sync": False})

    assert Sample.objects.get(name="neurocards_telegram_messages_sent_total").value == sent + 2
    assert value("neurocards_telegram_messages_sent_total") == sent + 2
    assert value("neurocards_telegram_429_total") == too_many + 1


def test_it_adds_to_the_shared_count_rather_than_replacing_it(token):
    Sample.objects.create(name="neurocards_telegram_429_total", value=40)  # what other processes added

    counters.add("neurocards_telegram_429_total", 2)
    counters.flush()

    assert value("neurocards_telegram_429_total") == 42


def test_it_keeps_the_counts_for_later_when_they_cannot_be_written(token, monkeypatch):
    def refuse(*args):
        raise InterfaceError("connection already closed")

    counters.flush()
    before = value("neurocards_telegram_429_total") or 0
    counters.add("neurocards_telegram_429_total", 3)
    with monkeypatch.context() as patched:
        patched.setattr(counters, "_add_to_row", refuse)
        assert counters.flush() == 0

    assert value("neurocards_telegram_429_total") == before + 3


def test_it_times_provider_calls_in_a_histogram(token, workers):
    get_provider().credits()
    get_provider().credits()
    counters.flush()

    samples = parse(scrape().content.decode())

    series = 'provider="kie",endpoint="credit"'
    buckets = [
        (labels, count)
        for (name, labels), count in samples.items()
        if name == "neurocards_provider_request_duration_seconds_bucket" and labels.startswith(series)
    ]
    assert [labels.rsplit("le=", 1)[1] for labels, _ in buckets][-1] == '"+Inf"'
    counts = [count for _, count in buckets]
    assert counts == sorted(counts) and counts[-1] >= 2
    assert samples[("neurocards_provider_request_duration_seconds_count", series)] == counts[-1]
    assert samples[("neurocards_provider_request_duration_seconds_sum", series)] > 0


def test_it_counts_each_call_in_its_bucket_and_every_bucket_above(token):
    for seconds in (0.05, 3.0, 3.5):
        counters.observe_provider_call("kie", "https://api.kie.ai/api/v1/jobs/recordInfo?taskId=abc", seconds)
    counters.flush()

    samples = parse(scrape().content.decode())

    bucket = "neurocards_provider_request_duration_seconds_bucket"
    series = 'provider="kie",endpoint="recordInfo"'
    assert [samples[(bucket, f'{series},le="{le}"')] for le in ("0.1", "2.5", "5", "60", "+Inf")] == [1, 1, 3, 3, 3]
    assert samples[("neurocards_provider_request_duration_seconds_sum", series)] == pytest.approx(6.55)
    # One row changed per call (and the sum and count), not every bucket above it.
    assert Sample.objects.filter(name=bucket, value__gt=0).count() == 2


def test_it_reads_the_last_ledger_audit_instead_of_scanning_per_scrape(token, workers, monkeypatch):
    user = make_user(credits=10)
    TelegramUser.objects.filter(pk=user.pk).update(balance=11)  # a balance moved outside the ledger

    monitoring.audit_ledger()
    monitoring.audit_ledger()
    monkeypatch.setattr(ledger, "find_mismatches", lambda: pytest.fail("a scrape scanned the ledger"))

    assert value("neurocards_ledger_mismatches") == 1
    (alert,) = workers.telegram.texts(chat_id=900001)
    assert "1 users' ledgers do not sum" in alert


def test_it_resolves_the_ledger_alert_when_the_ledger_adds_up_again(workers, monkeypatch):
    Alert.objects.create(key="ledger:mismatch")

    monitoring.audit_ledger()

    assert not Alert.objects.exists() and Sample.objects.get(name="neurocards_ledger_mismatches").value == 0


def test_it_keeps_the_kie_credits_and_alerts_once_when_they_run_low(token, workers, settings):
    settings.KIE_MIN_CREDITS = 500
    workers.kie.credits = 120.5

    monitoring.check_services()
    monitoring.check_services()

    assert value("neurocards_kie_credits") == 120.5
    (alert,) = workers.telegram.texts(chat_id=900001)
    assert "KIE credits are low: 120.5 left" in alert

    workers.kie.credits = 5000
    monitoring.check_services()
    assert not Alert.objects.filter(key="kie:credits").exists()
    assert value("neurocards_kie_credits") == 5000


def test_it_alerts_once_when_telegram_cannot_deliver_to_the_webhook(workers, settings):
    from django.core.cache import cache

    from ops import health

    settings.GENERATION_PROVIDER = "local"
    cache.delete(health.WEBHOOK_INFO_KEY)
    workers.telegram.set_webhook_error("Wrong response from the webhook: 502 Bad Gateway")
    try:
        monitoring.check_services()
        monitoring.check_services()
    finally:
        workers.telegram.set_webhook_error("old", date=0)
        cache.delete(health.WEBHOOK_INFO_KEY)

    (alert,) = workers.telegram.texts(chat_id=900001)
    assert "cannot deliver updates to the webhook: Wrong response from the webhook: 502 Bad Gateway" in alert

    monitoring.check_services()
    assert not Alert.objects.filter(key="telegram:webhook").exists()


def test_it_runs_the_audits_on_schedules():
    assert SCHEDULES["ledger-audit"] == ("ops.monitoring.audit_ledger", 5)
    assert SCHEDULES["service-checks"] == ("ops.monitoring.check_services", 10)
