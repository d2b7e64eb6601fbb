"""One "after result" keyboard per order, on its last message, however its generations finish."""

import pytest
from django.utils import timezone

from generations import closing, notify, services, watchdog
from generations.models import Generation, OrderDelivery
from messaging import sender
from tests.concurrency import race
from tests.results_helpers import SELLER, finish, keyboards, order, run, submit_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)


def buttons(call):
    return [button["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"] for button in row]


def test_it_puts_one_keyboard_on_the_last_of_three_videos(workers):
    generations = order(workers, kind="video", count=3)

    run(workers, generations)

    videos = workers.telegram.requests("sendVideo", chat_id=SELLER)
    assert [bool(video.params.get("reply_markup")) for video in videos] == [False, False, True]
    assert buttons(videos[-1]) == [f"gen:again:{generations[2].pk}", "menu:main"]
    assert keyboards(workers) == ["sendVideo"]


def test_it_puts_the_keyboard_on_the_failure_when_the_last_one_fails(workers, django_capture_on_commit_callbacks):
    first, second, third = order(workers, kind="video", count=3)
    submit_all([first, second])
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="Your content was flagged by moderation")
    submit_all([third])

    for generation in (first, second, third):
        with django_capture_on_commit_callbacks(execute=True):
            finish(generation)

    assert Generation.objects.get(pk=third.pk).status == "failed"
    assert [method for method, *_ in workers.telegram.markups(chat_id=SELLER)] == ["sendMessage"]
    (failure,) = workers.telegram.requests("sendMessage", chat_id=SELLER)
    assert "сделать не получилось" in failure.params["text"] and buttons(failure)[-1] == "menu:main"


def test_it_keeps_the_failure_of_a_first_one_without_a_keyboard(workers, django_capture_on_commit_callbacks):
    first, second, third = order(workers, kind="video", count=3)
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="Your content was flagged by moderation")
    submit_all([first, second, third])

    for generation in (first, second, third):
        with django_capture_on_commit_callbacks(execute=True):
            finish(generation)

    assert [call.method for call in workers.telegram.sent(chat_id=SELLER)] == ["sendMessage", "sendVideo", "sendVideo"]
    assert keyboards(workers) == ["sendVideo"]


def test_it_counts_a_cancelled_one_as_finished(workers):
    first, second, third = order(workers, kind="video", count=3)
    submit_all([first, second, third])
    services.cancel_generation(generation=third, reason="cancelled by the user")

    finish(first)
    finish(second)

    videos = workers.telegram.requests("sendVideo", chat_id=SELLER)
    assert [bool(video.params.get("reply_markup")) for video in videos] == [False, True]


def test_it_sends_a_short_closing_message_when_no_result_could_know_it_was_last(workers, monkeypatch):
    # Both saw the other still at work, as two finishing at once on two workers may.
    monkeypatch.setattr(closing, "carries_keyboard", lambda generation: False)
    generations = order(workers, kind="video", count=3)

    run(workers, generations)

    assert keyboards(workers) == ["sendMessage"]
    (closing_message,) = workers.telegram.requests("sendMessage", chat_id=SELLER)
    assert closing_message.params["text"] == "Заказ выполнен: Термокружка 350 мл, готово 3 из 3."
    assert buttons(closing_message) == [f"gen:again:{generations[0].pk}", "menu:main"]


def test_it_closes_with_the_keyboard_an_order_that_all_failed_at_once(
    workers, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(closing, "carries_keyboard", lambda generation: False)
    generations = order(workers, kind="video", count=3)
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="Your content was flagged by moderation", times=3)
    submit_all(generations)

    for generation in generations:
        with django_capture_on_commit_callbacks(execute=True):
            finish(generation)

    assert keyboards(workers) == ["sendMessage"]
    *failures, closing_message = workers.telegram.requests("sendMessage", chat_id=SELLER)
    assert len(failures) == 3
    assert closing_message.params["text"] == (
        "Из этого заказа ничего не получилось: Термокружка 350 мл. Кредиты за него вернулись на баланс."
    )
    assert buttons(closing_message)[-1] == "menu:main"


def test_it_sends_nothing_more_when_an_order_is_closed_again(workers):
    generations = order(workers, kind="video", count=3)
    run(workers, generations)
    before = len(workers.telegram.sent(chat_id=SELLER))

    for generation in generations:
        notify.result(generation.pk)
    closing.close_order(generations[0].order_id)
    watchdog.run()

    assert len(workers.telegram.sent(chat_id=SELLER)) == before
    assert keyboards(workers) == ["sendVideo"]


def test_it_keeps_the_keyboard_of_a_result_retried_after_telegram_failed(workers):
    generations = order(workers, kind="video", count=3)
    submit_all(generations)
    finish(generations[0])
    finish(generations[1])
    workers.telegram.fail_next("sendVideo", status=502, description="Bad Gateway", times=sender.MAX_TRIES)
    finish(generations[2])
    assert keyboards(workers) == []

    Generation.objects.filter(pk=generations[2].pk).update(next_delivery_at=timezone.now())
    watchdog.run()

    assert keyboards(workers) == ["sendVideo"]
    assert OrderDelivery.objects.get(pk=generations[0].order_id).keyboard_on == generations[2].pk


def test_it_waits_for_a_result_still_being_sent_before_it_puts_the_keyboard(workers):
    generations = order(workers, kind="video", count=3)
    submit_all(generations)
    workers.telegram.fail_next("sendVideo", status=502, description="Bad Gateway", times=sender.MAX_TRIES)
    finish(generations[0])  # completed, its video not with the seller yet: it will arrive after the others
    finish(generations[1])
    finish(generations[2])
    assert keyboards(workers) == []

    Generation.objects.filter(pk=generations[0].pk).update(next_delivery_at=timezone.now())
    watchdog.run()

    videos = [video for video in workers.telegram.requests("sendVideo", chat_id=SELLER) if video.status == 200]
    assert [bool(video.params.get("reply_markup")) for video in videos] == [False, False, True]
    assert keyboards(workers) == ["sendVideo"]
    assert OrderDelivery.objects.get(pk=generations[0].order_id).keyboard_on == generations[0].pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_exactly_one_keyboard_when_two_finish_at_once(workers):
    for round_ in range(4):
        telegram_id = SELLER + 1 + round_
        *generations, cancelled = order(workers, kind="video", count=3, telegram_id=telegram_id)
        submit_all(generations)
        services.cancel_generation(generation=cancelled, reason="cancelled by the user")

        outcomes = race(finish, threads=2, args_for=lambda i, pair=tuple(generations): (pair[i],))

        assert [error for _, error in outcomes if error] == []
        assert len(workers.telegram.requests("sendVideo", chat_id=telegram_id)) == 2
        assert len(workers.telegram.markups(chat_id=telegram_id)) == 1
        assert OrderDelivery.objects.get(pk=generations[0].order_id).sent_at is not None
