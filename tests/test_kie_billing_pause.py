"""KIE out of credits (402): the queue waits instead of failing order after order, operators are told
once, each waiting seller once, and everything goes on when a credit check passes."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import CreditTransaction
from generations import pipeline, watchdog
from generations.models import Generation, ProviderHealth
from generations.providers import get_provider
from neurocards.models import Alert, Heartbeat
from ops import watch
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db

OPERATOR = 900001
SELLERS = (7101, 7102, 7103)


@pytest.fixture
def three_orders(workers, settings):
    # Each process's keys rest after a 402; this one's must not outlast the pause (see watch.credit_check_after).
    settings.KIE_KEY_COOLDOWN_SECONDS = 0
    Heartbeat.beat("watchdog")
    kinds = {7103: {"kind": "image", "template": "studio"}}
    return [
        place_order(
            make_user(credits=50, telegram_id=seller), telegram=workers.telegram, **kinds.get(seller, {})
        ).generations[0]
        for seller in SELLERS
    ]


def out_of_credits(workers):
    for key in workers.kie.keys:
        workers.kie.set_key(key, code=402)


def credits_back(workers):
    for key in workers.kie.keys:
        workers.kie.set_key(key, code=None)


def pause_long_enough():
    """Wind the pause back past the keys' rest, so the watcher checks the credits."""
    ProviderHealth.objects.filter(billing_paused_at__isnull=False).update(
        billing_paused_at=timezone.now() - watch.credit_check_after() - timedelta(seconds=1)
    )


def said_to(workers, chat_id):
    return workers.telegram.texts(chat_id=chat_id)


def test_it_pauses_the_queue_tells_each_once_and_resumes_when_credits_are_back(workers, three_orders, commit):
    out_of_credits(workers)

    results = [commit(pipeline.submit, generation_id=generation.pk) for generation in three_orders]
    commit(watchdog.run)
    commit(watchdog.run)

    assert results == ["paused", "provider paused", "provider paused"]
    assert set(Generation.objects.values_list("status", "attempts")) == {("queued", 0)}
    assert not CreditTransaction.objects.filter(kind="generation_refund").exists()
    (alert,) = said_to(workers, OPERATOR)
    assert "KIE: на счёте нет кредитов, отправка приостановлена, в очереди 3" in alert
    for seller in SELLERS:
        (message,) = said_to(workers, seller)
        assert "заказ ждёт в очереди" in message
        assert message.startswith("Карточка" if seller == 7103 else "Видео")

    pause_long_enough()
    call_command("watch_workers")  # still no credits: still paused, nothing new said
    assert len(said_to(workers, OPERATOR)) == 1 and ProviderHealth.objects.get(provider="kie").billing_paused_at

    credits_back(workers)
    call_command("watch_workers")
    call_command("watch_workers")
    Generation.objects.update(next_attempt_at=timezone.now())  # the hand-outs' leases are over by then
    commit(watchdog.run)

    assert set(Generation.objects.values_list("status", flat=True)) == {"processing"}
    alerts = said_to(workers, OPERATOR)
    assert len(alerts) == 2 and "кредиты снова есть" in alerts[1] and "отправка возобновлена" in alerts[1]
    assert all(len(said_to(workers, seller)) == 1 for seller in SELLERS)


def test_it_does_not_check_credits_before_the_keys_rested(workers, three_orders, commit):
    out_of_credits(workers)
    commit(pipeline.submit, generation_id=three_orders[0].pk)
    credits_back(workers)

    call_command("watch_workers")

    assert ProviderHealth.objects.get(provider="kie").billing_paused_at is not None
    assert workers.kie.requests("/api/v1/chat/credit") == []


def test_it_keeps_waiting_when_credits_are_under_the_minimum(workers, three_orders, settings, commit):
    settings.KIE_MIN_CREDITS = 100
    out_of_credits(workers)
    commit(pipeline.submit, generation_id=three_orders[0].pk)
    credits_back(workers)
    workers.kie.credits = 50.0
    pause_long_enough()

    call_command("watch_workers")

    assert ProviderHealth.objects.get(provider="kie").billing_paused_at is not None
    assert len(said_to(workers, OPERATOR)) == 1


@pytest.fixture
def offline(workers, settings):
    settings.GENERATION_PROVIDER = "local"
    settings.LOCAL_PROVIDER_DELAY_SECONDS = 0
    Heartbeat.beat("watchdog")
    get_provider.cache_clear()
    yield workers
    get_provider.cache_clear()


def test_it_pauses_the_offline_provider_too_and_resumes_it_at_the_next_watch(offline, commit):
    (generation,) = place_order(make_user(credits=50, telegram_id=7201), telegram=offline.telegram).generations
    get_provider().failures = {"billing": 1.0}

    assert commit(pipeline.submit, generation_id=generation.pk) == "paused"
    get_provider().failures = {}
    pause_long_enough()
    call_command("watch_workers")
    commit(watchdog.run)

    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == ("processing", 1)
    assert len(said_to(offline, OPERATOR)) == 2


def test_it_clears_a_billing_incident_left_without_a_pause_so_the_next_pause_is_told(workers, three_orders, commit):
    Alert.objects.create(key="kie:billing", text="KIE billing failure (before pauses existed)")
    call_command("watch_workers")

    out_of_credits(workers)
    commit(pipeline.submit, generation_id=three_orders[0].pk)

    (alert,) = said_to(workers, OPERATOR)
    assert "на счёте нет кредитов" in alert
