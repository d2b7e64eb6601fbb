"""A finish that fails (5xx, a refused redirect, bad media, a crash) is tried again with backoff, then failed once."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import CreditTransaction
from generations import pipeline, watchdog
from generations.models import Generation
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


def succeeded(workers, commit, *, before_finish=lambda: None):
    """A video whose task succeeded and whose first finish ran (inline: django-q2 is synchronous in tests)."""
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    before_finish()
    commit(pipeline.poll, generation)
    generation.refresh_from_db()
    return generation


def result_path(generation):
    return "/results/" + generation.result_url.rsplit("/", 1)[1]


def downloads(workers, generation):
    return len(workers.kie.requests(result_path(generation)))


def test_it_backs_off_a_failing_finish_doubling_each_time_and_fails_and_refunds_once_at_the_cap(workers, commit):
    (generation,) = place_order(make_user(credits=50, telegram_id=9292), telegram=workers.telegram).generations
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    task_path = "/results/" + workers.kie.tasks[generation.provider_task_id].result_url.rsplit("/", 1)[1]
    for _ in range(pipeline.MAX_FINISH_ATTEMPTS):
        workers.kie.answer_next(
            task_path, b"<h1>502 Bad Gateway</h1>", status=HTTPStatus.BAD_GATEWAY, content_type="text/html"
        )
    commit(pipeline.poll, generation)

    delays = []
    for attempt in range(1, pipeline.MAX_FINISH_ATTEMPTS):
        generation.refresh_from_db()
        assert (generation.status, generation.finish_attempts) == ("processing", attempt)
        delays.append(round((generation.next_finish_at - timezone.now()).total_seconds() / 60))
        commit(watchdog.run)  # not due yet: nothing is downloaded again
        assert downloads(workers, generation) == attempt
        Generation.objects.filter(pk=generation.pk).update(next_finish_at=timezone.now() - timedelta(seconds=1))
        commit(watchdog.run)
    commit(watchdog.run)

    generation.refresh_from_db()
    assert delays == [1, 2, 4, 8]
    assert (generation.status, generation.error_class) == ("failed", "temporary")
    assert downloads(workers, generation) == pipeline.MAX_FINISH_ATTEMPTS
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    assert len(workers.telegram.texts(chat_id=9292)) == 1 and workers.telegram.requests("sendVideo") == []


def test_it_delivers_once_the_result_downloads_again(workers, commit):
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()
    task_path = "/results/" + workers.kie.tasks[generation.provider_task_id].result_url.rsplit("/", 1)[1]
    workers.kie.redirect(task_path, "https://169.254.169.254/latest/meta-data/")
    commit(pipeline.poll, generation)
    generation.refresh_from_db()
    assert generation.status == "processing" and "refused" in generation.error_message

    workers.kie.redirect(task_path, None)
    Generation.objects.filter(pk=generation.pk).update(next_finish_at=timezone.now() - timedelta(seconds=1))
    commit(watchdog.run)

    generation.refresh_from_db()
    assert generation.status == "completed" and generation.finish_attempts == 2
    assert len(workers.telegram.requests("sendVideo")) == 1


def test_it_gives_a_finish_that_raised_its_backoff_too(workers, commit, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    generation = succeeded(
        workers,
        commit,
        before_finish=lambda: monkeypatch.setattr("generations.pipeline.default_storage.save", broken_save),
    )

    assert generation.status == "processing" and generation.finish_attempts == 1
    assert generation.next_finish_at > timezone.now() + timedelta(seconds=50)
    commit(watchdog.run)
    commit(watchdog.run)
    assert downloads(workers, generation) == 1


def test_it_runs_one_finish_per_hand_out_however_often_it_is_delivered(workers, commit, monkeypatch):
    handed_out = []
    monkeypatch.setattr("generations.pipeline.async_task", lambda name, *args, **kwargs: handed_out.append(args))
    generation = succeeded(workers, commit)
    assert handed_out == [(generation.pk, 0)]

    results = [commit(pipeline.finish, generation_id=generation.pk, attempt=0) for _ in range(2)]

    assert results == ["completed", "nothing to finish"]
    assert downloads(workers, generation) == 1 and len(workers.telegram.requests("sendVideo")) == 1


def test_it_hands_out_again_a_finish_whose_task_was_lost_once_its_lease_is_over(workers, commit, monkeypatch):
    monkeypatch.setattr("generations.pipeline.async_task", lambda *args, **kwargs: None)  # the broker loses it
    generation = succeeded(workers, commit)
    monkeypatch.undo()

    commit(watchdog.run)  # within the lease: the task may still be on its way
    assert downloads(workers, generation) == 0
    Generation.objects.filter(pk=generation.pk).update(next_finish_at=timezone.now() - timedelta(seconds=1))
    commit(watchdog.run)

    generation.refresh_from_db()
    assert generation.status == "completed" and len(workers.telegram.requests("sendVideo")) == 1
