"""A burst of users confirming at once into a nearly full queue: the cap holds, each place is told once."""

import uuid

import pytest
from django.db import transaction

from accounts.models import TelegramUser
from generations import services
from generations.models import Generation
from tests.concurrency import race
from tests.factories import make_user

pytestmark = pytest.mark.postgres


def confirm(user_pk, count):
    """Confirm an order as the bot's turn does: in one transaction holding the user's row lock."""
    with transaction.atomic():
        user = TelegramUser.objects.select_for_update().get(pk=user_pk)
        try:
            order = services.create_order(
                user=user,
                kind="video",
                template="ugc",
                description="Кружка",
                wishes="",
                reference_file_id="photo",
                count=count,
                order_id=uuid.uuid4(),
            )
        except services.OrderRefused as refused:
            return refused.reason
    return order.queue_position


def burst(users, count):
    outcomes = race(confirm, threads=len(users), args_for=lambda i: (users[i].pk, count))
    assert [error for _, error in outcomes] == [None] * len(users)
    return [result for result, _ in outcomes]


@pytest.fixture
def users(transactional_db, enqueued):
    return [make_user(credits=100) for _ in range(20)]


def test_it_admits_exactly_the_queue_size_and_numbers_each_place_once(users, settings):
    settings.MAX_QUEUE_SIZE = 5
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = settings.MAX_ACTIVE_ORDERS = 1000
    for _ in range(4):
        # The previous burst's orders leave the queue, as the workers would take them.
        Generation.objects.filter(status="queued").update(status="completed")

        results = burst(users, 1)

        positions = sorted(result for result in results if isinstance(result, int))
        assert positions == [1, 2, 3, 4, 5]
        assert results.count("queue_full") == 15
        assert Generation.objects.filter(status="queued").count() == 5


def test_it_holds_the_cap_for_orders_of_three(users, settings):
    settings.MAX_QUEUE_SIZE = 9
    settings.RATE_LIMIT_GENERATIONS_PER_HOUR = settings.MAX_ACTIVE_ORDERS = 1000
    for _ in range(3):
        # The previous burst's orders leave the queue, as the workers would take them.
        Generation.objects.filter(status="queued").update(status="completed")

        results = burst(users, 3)

        assert sorted(result for result in results if isinstance(result, int)) == [1, 4, 7]
        assert results.count("queue_full") == 17
        assert Generation.objects.filter(status="queued").count() == 9
