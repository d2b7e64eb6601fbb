"""Limits that don't punish paying users: refunded generations free their hourly slot; two orders at a time."""

from datetime import timedelta

import pytest
from django.conf import settings as live_settings
from django.utils import timezone, translation

from botapp import texts
from generations import pipeline, services
from generations.models import Generation
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings, workers):
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = 4
    settings.MAX_ACTIVE_ORDERS = 10
    return make_user(credits=500)


def refused(user, workers, count):
    with pytest.raises(services.OrderRefused) as refusal:
        place_order(user, telegram=workers.telegram, count=count)
    return refusal.value


def test_it_does_not_count_failed_or_cancelled_generations_in_the_hourly_limit(limits, workers):
    first, second, third = place_order(limits, telegram=workers.telegram, count=3).generations
    pipeline.fail(generation_id=first.pk, error_class="user", message="flagged")
    services.cancel_generation(generation=second, reason="cancelled by the user")

    again = place_order(limits, telegram=workers.telegram, count=3)

    assert len(again.generations) == 3
    assert refused(limits, workers, 1).numbers["left"] == 0


def test_it_says_how_many_are_left_and_in_how_many_minutes_the_order_fits(limits, workers):
    generations = place_order(limits, telegram=workers.telegram, count=3).generations
    now = timezone.now()
    for minutes_ago, generation in zip((50, 20, 10), generations, strict=True):
        Generation.objects.filter(pk=generation.pk).update(created_at=now - timedelta(minutes=minutes_ago))

    refusal = refused(limits, workers, 3)

    # Three counted, one left; an order of 3 fits once two have aged out: the second in 40 minutes.
    assert refusal.numbers == {"limit": 4, "used": 3, "left": 1, "minutes": 40}
    assert texts.refused(refusal.reason, refusal.numbers) == (
        "В час можно заказать до 4 генераций; сейчас доступно ещё 1. Попробуйте через 40 минут."
    )


def test_it_says_when_the_hour_is_used_up(limits, workers):
    generations = place_order(limits, telegram=workers.telegram, count=3).generations
    place_order(limits, telegram=workers.telegram, count=1)
    Generation.objects.filter(pk=generations[0].pk).update(created_at=timezone.now() - timedelta(minutes=59))

    refusal = refused(limits, workers, 1)

    assert texts.refused(refusal.reason, refusal.numbers) == (
        "В час можно заказать до 4 генераций, и на этот час лимит исчерпан. Попробуйте через 1 минуту."
    )
    with translation.override("en"):
        assert texts.refused(refusal.reason, refusal.numbers) == (
            "You can order up to 4 generations an hour, and this hour's are used up. Try again in 1 minute."
        )


def test_it_says_no_time_for_an_order_larger_than_the_hourly_limit(limits, workers, settings):
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = 3

    refusal = refused(limits, workers, 5)

    assert refusal.numbers["minutes"] is None
    assert texts.refused(refusal.reason, refusal.numbers) == (
        "В час можно заказать до 3 генераций; сейчас доступно ещё 3."
    )


def test_it_allows_two_orders_at_a_time_by_default(workers):
    assert live_settings.MAX_ACTIVE_ORDERS == 2
    user = make_user(credits=500)
    place_order(user, telegram=workers.telegram)
    place_order(user, telegram=workers.telegram)

    refusal = refused(user, workers, 1)

    assert refusal.reason == "active_orders" and refusal.numbers == {"limit": 2}
    assert texts.refused(refusal.reason, refusal.numbers).startswith(
        "У вас уже 2 заказа в работе — больше одновременно нельзя."
    )
    assert texts.refused("active_orders", {"limit": 5}).startswith("У вас уже 5 заказов в работе")
