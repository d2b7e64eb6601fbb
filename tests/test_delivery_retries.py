"""A finished result Telegram would not take is tried again with backoff until it is delivered, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generations import notify, pipeline, watchdog
from generations.models import Generation, OrderDelivery
from messaging import sender
from tests.concurrency import race
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db

SELLER = 8181


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    # The sender's pauses between its own tries; the tries themselves all reach the fake.
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)


def completed(workers, kind="video", telegram_id=SELLER):
    """A generation run to its result: the finish task makes the first try to send it."""
    (generation,) = place_order(
        make_user(credits=100, telegram_id=telegram_id),
        telegram=workers.telegram,
        kind=kind,
        template="ugc" if kind == "video" else "studio",
    ).generations
    pipeline.submit(generation_id=generation.pk)  # already run at commit when the test commits
    generation.refresh_from_db()
    assert generation.status == "processing"
    assert pipeline.poll(generation) == "success"  # finish runs inline (django-q2 sync in tests)
    generation.refresh_from_db()
    assert generation.status == "completed"
    return generation


def make_due(generation):
    """Wind the clock on to the next try, if one is planned."""
    Generation.objects.filter(pk=generation.pk, next_delivery_at__isnull=False).update(next_delivery_at=timezone.now())


def delivered(workers, method, chat_id=SELLER):
    return [call for call in workers.telegram.requests(method, chat_id=chat_id) if call.status == 200]


def bad_gateway(workers, method, times):
    workers.telegram.fail_next(method, status=502, description="Bad Gateway", times=times)


@pytest.mark.parametrize("kind, methods", [("video", ["sendVideo"]), ("image", ["sendPhoto", "sendDocument"])])
def test_it_delivers_once_when_telegram_comes_back_after_40_failed_sends(workers, kind, methods):
    bad_gateway(workers, methods[0], times=40)

    generation = completed(workers, kind)
    assert Generation.objects.get(pk=generation.pk).result_sent_at is None
    for _ in range(10):
        make_due(generation)
        watchdog.run()

    assert [len(delivered(workers, method)) for method in methods] == [1] * len(methods)
    assert len(workers.telegram.requests(methods[0])) == 41
    generation.refresh_from_db()
    assert generation.result_sent_at is not None and generation.next_delivery_at is None
    # 6 tries a round (the sender's own): the first round in the finish task, six more by the retry pass.
    assert generation.delivery_attempts == 7


def test_it_sends_only_the_original_when_the_photo_went_before_telegram_failed(workers):
    bad_gateway(workers, "sendDocument", times=sender.MAX_TRIES)

    generation = completed(workers, "image")
    assert len(delivered(workers, "sendPhoto")) == 1 and delivered(workers, "sendDocument") == []
    # The original goes with the order's closing, which has its own tries: the photo is not sent again.
    OrderDelivery.objects.filter(pk=generation.order_id).update(next_delivery_at=timezone.now())
    watchdog.run()

    assert len(delivered(workers, "sendPhoto")) == 1 and len(delivered(workers, "sendDocument")) == 1
    assert Generation.objects.get(pk=generation.pk).result_parts_sent == 1
    assert OrderDelivery.objects.get(pk=generation.order_id).parts_sent == 1


def test_it_backs_off_between_tries_and_delivers_on_the_sixth(workers):
    bad_gateway(workers, "sendVideo", times=5 * sender.MAX_TRIES)

    generation = completed(workers)
    waits = []
    for _ in range(5):
        generation.refresh_from_db()
        waits.append(round((generation.next_delivery_at - timezone.now()).total_seconds() / 60))
        watchdog.run()  # not due yet: nothing is tried
        make_due(generation)
        watchdog.run()

    assert waits == [1, 2, 4, 8, 16]
    assert len(delivered(workers, "sendVideo")) == 1 and len(workers.telegram.requests("sendVideo")) == 31
    assert Generation.objects.get(pk=generation.pk).delivery_attempts == 6


def test_it_alerts_operators_once_after_a_day_and_keeps_the_result_in_history(workers, chat):
    bad_gateway(workers, "sendVideo", times=1000)
    generation = completed(workers, telegram_id=chat.id)
    Generation.objects.filter(pk=generation.pk).update(finished_at=timezone.now() - timedelta(hours=25))

    for _ in range(3):
        make_due(generation)
        watchdog.run()

    (alert,) = workers.telegram.texts(chat_id=900001)
    assert f"generation #{generation.pk}" in alert and "not delivered in a day" in alert
    assert Generation.objects.get(pk=generation.pk).next_delivery_at is None
    tries = len(workers.telegram.requests("sendVideo"))
    watchdog.run()
    assert len(workers.telegram.requests("sendVideo")) == tries

    workers.telegram.reset()
    chat.send("/history")
    assert f"#{generation.pk} видео" in chat.last_reply()
    assert chat.buttons() == [f"Прислать #{generation.pk} ещё раз"]
    chat.tap(f"gen:send:{generation.pk}")
    assert len(delivered(workers, "sendVideo", chat_id=chat.id)) == 1
    assert Generation.objects.get(pk=generation.pk).result_sent_at is not None


def test_it_takes_over_the_claim_of_a_worker_that_died_mid_send(workers, monkeypatch):
    def die(generation_id, *, lease):
        raise SystemExit("the worker was killed")

    monkeypatch.setattr(notify, "deliver_result", die)
    with pytest.raises(SystemExit):
        completed(workers)
    monkeypatch.undo()
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    generation = Generation.objects.get()
    watchdog.run()
    assert delivered(workers, "sendVideo") == []  # its claim holds for a while

    Generation.objects.filter(pk=generation.pk).update(next_delivery_at=timezone.now() - timedelta(seconds=1))
    watchdog.run()
    watchdog.run()

    assert len(delivered(workers, "sendVideo")) == 1


def test_it_tries_a_result_whose_finish_task_died_before_sending(workers, monkeypatch):
    monkeypatch.setattr(notify, "result", lambda generation_id: None)
    generation = completed(workers)
    monkeypatch.undo()
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    watchdog.run()
    assert delivered(workers, "sendVideo") == []  # the finish task is given time to make the first try

    Generation.objects.filter(pk=generation.pk).update(finished_at=timezone.now() - timedelta(minutes=3))
    watchdog.run()

    assert len(delivered(workers, "sendVideo")) == 1


def test_it_stops_trying_for_a_user_who_blocked_the_bot(workers):
    bad_gateway(workers, "sendVideo", times=sender.MAX_TRIES)
    generation = completed(workers)
    workers.telegram.block(SELLER)
    make_due(generation)
    watchdog.run()
    make_due(generation)
    watchdog.run()

    generation.refresh_from_db()
    assert generation.next_delivery_at is None and generation.result_sent_at is None
    assert generation.delivery_attempts == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_sends_once_when_retry_passes_race(workers):
    bad_gateway(workers, "sendVideo", times=sender.MAX_TRIES)
    generation = completed(workers)
    make_due(generation)

    outcomes = race(lambda: notify.claim_due_results(timezone.now()), threads=6)

    assert [error for _, error in outcomes if error] == []
    claims = [claim for claimed, _ in outcomes for claim in claimed]
    assert len(claims) == 1
    race(lambda: notify.deliver_result(generation.pk, lease=claims[0][1]), threads=3)
    assert len(delivered(workers, "sendVideo")) == 1
