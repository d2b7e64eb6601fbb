"""Orders in progress in the Mini App: live status and place in the queue; cancel refunds once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from billing import ledger
from billing.models import CreditTransaction
from generations import pipeline
from generations.models import Generation
from tests.concurrency import race
from tests.factories import make_user, place_order
from tests.fakes.telegram import FakeTelegram
from tests.tma import completed, header

API = "/miniapp/api"


@pytest.fixture(autouse=True)
def bot_token(settings):
    settings.TELEGRAM_BOT_TOKEN = FakeTelegram.TOKEN


@pytest.mark.django_db
def test_it_lists_active_orders_with_their_place_in_the_queue(client, telegram, enqueued):
    someone = make_user(credits=100, telegram_id=7770001)
    seller = make_user(credits=100, telegram_id=7770002)
    place_order(someone, telegram=telegram, count=3)
    order = place_order(seller, telegram=telegram, kind="image", template="studio", count=3)
    first, second, third = order.generations
    Generation.objects.filter(pk=first.pk).update(status="processing")

    orders = client.get(f"{API}/orders", **header(seller, language_code="en")).json()["orders"]

    by_id = {row["id"]: row for row in orders}
    assert set(by_id) == {first.pk, second.pk, third.pk}
    assert by_id[first.pk]["queue_position"] is None and by_id[first.pk]["status_text"] == "in the works"
    assert (by_id[second.pk]["queue_position"], by_id[third.pk]["queue_position"]) == (4, 5)
    assert by_id[second.pk]["status"] == "queued" and by_id[second.pk]["status_text"] == "in the queue"
    assert by_id[second.pk]["template"] == "Studio shot (for the main photo)"
    assert by_id[second.pk]["order_id"] == str(order.order_id) and by_id[second.pk]["can_cancel"] is True


@pytest.mark.django_db
def test_it_keeps_a_just_finished_order_on_the_list_for_a_few_minutes(client):
    seller = make_user(telegram_id=7770003)
    just_now = completed(seller)
    long_ago = completed(seller)
    Generation.objects.filter(pk=long_ago.pk).update(finished_at=timezone.now() - timedelta(minutes=11))

    orders = client.get(f"{API}/orders", **header(seller)).json()["orders"]

    assert [(row["id"], row["status"], row["can_cancel"]) for row in orders] == [(just_now.pk, "completed", False)]
    assert orders[0]["status_text"] == "готово"


@pytest.mark.django_db
def test_it_cancels_and_refunds_once_a_second_post_is_refused(client, telegram, enqueued):
    seller = make_user(credits=30, telegram_id=7770004)
    (generation,) = place_order(seller, telegram=telegram).generations

    first = client.post(f"{API}/generations/{generation.pk}/cancel", **header(seller))
    second = client.post(f"{API}/generations/{generation.pk}/cancel", **header(seller, language_code="en"))

    assert first.status_code == 200
    assert first.json() == {"ok": True, "refunded": generation.cost, "balance": 30}
    assert second.status_code == 409
    assert second.json()["error"] == "not_cancellable" and "no longer be cancelled" in second.json()["message"]
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    assert Generation.objects.get(pk=generation.pk).status == "cancelled"


@pytest.mark.django_db
def test_it_does_not_let_a_user_touch_another_users_order(client, telegram, enqueued):
    owner = make_user(credits=30, telegram_id=7770005)
    intruder = make_user(telegram_id=7770006)
    (generation,) = place_order(owner, telegram=telegram).generations
    done = completed(owner)

    for action in ("cancel", "send", "again"):
        answer = client.post(
            f"{API}/generations/{generation.pk}/{action}", HTTP_IDEMPOTENCY_KEY="k1", **header(intruder)
        )
        assert (answer.status_code, answer.json()) == (404, {"error": "not_found"})
    assert (
        client.post(f"{API}/generations/{done.pk}/send", HTTP_IDEMPOTENCY_KEY="k1", **header(intruder)).status_code
        == 404
    )
    assert Generation.objects.get(pk=generation.pk).status == "queued"
    assert client.get(f"{API}/orders", **header(intruder)).json() == {"orders": []}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refunds_once_when_the_user_cancels_as_the_pipeline_fails_it(workers):
    seller = make_user(credits=50, telegram_id=7770007)
    (generation,) = place_order(seller, telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)
    jobs = [
        lambda: Client().post(f"{API}/generations/{generation.pk}/cancel", **header(seller)).status_code,
        lambda: pipeline.fail(generation_id=generation.pk, error_class="temporary", message="provider down"),
    ]

    outcomes = race(lambda job: job(), threads=2, args_for=lambda i: (jobs[i],))

    assert [error for _, error in outcomes if error] == []
    (status, _), (failed, _) = outcomes
    assert (status, failed) in ((200, False), (409, True))
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    seller.refresh_from_db()
    assert seller.balance == 50
    assert ledger.find_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refunds_once_when_two_cancels_race(workers):
    seller = make_user(credits=50, telegram_id=7770008)
    (generation,) = place_order(seller, telegram=workers.telegram).generations

    outcomes = race(
        lambda: Client().post(f"{API}/generations/{generation.pk}/cancel", **header(seller)).status_code, threads=4
    )

    assert sorted(status for status, _ in outcomes) == [200, 409, 409, 409]
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    assert ledger.find_mismatches() == []
