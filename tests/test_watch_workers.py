"""The watcher (manage.py watch_workers): alerts that come when the workers are dead, once per incident,
and one "back" message when the incident is over."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from billing.models import WebhookEvent
from generations.models import Generation
from messaging import sender
from neurocards.models import Alert, Heartbeat
from ops import watch
from tests.concurrency import race
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db

OPERATOR = 900001  # ADMIN_CHAT_IDS of the workers fixture


def alerts(workers):
    return workers.telegram.texts(chat_id=OPERATOR)


def beat(seconds_ago, name="watchdog"):
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now() - timedelta(seconds=seconds_ago)})


def test_it_tells_once_within_three_minutes_that_the_workers_stopped_and_once_that_they_are_back(workers):
    beat(0, "poller")
    seen_at = None
    # The last heartbeat stays where it is while the watcher runs every minute after it.
    for minute in range(6):
        beat(minute * 60, "poller")
        call_command("watch_workers")
        if alerts(workers) and seen_at is None:
            seen_at = minute
    assert seen_at is not None and 2 <= seen_at <= 3
    (alert,) = alerts(workers)
    assert "Воркеры молчат" in alert

    beat(0, "watchdog")
    call_command("watch_workers")
    call_command("watch_workers")

    assert len(alerts(workers)) == 2
    back = alerts(workers)[1]
    assert "Воркеры снова работают" in back and "мин" in back
    assert not Alert.objects.exists()


def test_it_does_not_count_its_own_heartbeat_as_a_worker(workers):
    beat(600, "watchdog")

    call_command("watch_workers")
    call_command("watch_workers")

    (alert,) = alerts(workers)
    assert "Воркеры молчат" in alert and Heartbeat.objects.filter(name=watch.WATCH).exists()


def test_it_tells_when_workers_never_ran_though_schedules_are_due(workers):
    Schedule.objects.create(
        name="watchdog", func="generations.tasks.run_watchdog", schedule_type=Schedule.MINUTES, minutes=1,
        next_run=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip

    call_command("watch_workers")

    (alert,) = alerts(workers)
    assert "ни разу не запускались" in alert


def test_it_says_nothing_on_a_fresh_install(workers):
    call_command("watch_workers")

    assert alerts(workers) == []


def queued(count):
    return make_generations(make_user(), count=count)


def past_deadline(count):
    generations = make_generations(make_user(), count=count)
    Generation.objects.filter(pk__in=[g.pk for g in generations]).update(
        status="processing", timeout_at=timezone.now() - timedelta(minutes=1)
    )
    return generations


def failed_notifications(count):
    return [
        WebhookEvent.objects.create(provider="yookassa", payload="{}", status="failed", event_id=uuid.uuid4().hex)
        for _ in range(count)
    ]


def over(rows):
    # What ends each incident: the rows leave the counted state.
    for row in rows:
        if isinstance(row, WebhookEvent):
            WebhookEvent.objects.filter(pk=row.pk).update(status="processed")
        else:
            Generation.objects.filter(pk=row.pk).update(status="failed")


@pytest.mark.parametrize(
    "setting, make, alert_words, back_words",
    [
        ("ALERT_QUEUE_SIZE", queued, "Генераций в очереди: 3", "Очередь снова в норме"),
        ("ALERT_STUCK", past_deadline, "с истёкшим сроком, ещё не возвращённых: 3", "с истёкшим сроком снова в норме"),
        ("ALERT_YOOKASSA_FAILURES", failed_notifications, "ЮKassa с ошибкой за последний час: 3", "ЮKassa снова"),
    ],
)
def test_it_alerts_once_per_incident_over_a_threshold_and_once_when_it_is_over(
    workers, settings, setting, make, alert_words, back_words
):
    setattr(settings, setting, 2)
    beat(0)
    rows = make(3)

    for _ in range(3):
        call_command("watch_workers")
    (alert,) = alerts(workers)
    assert alert_words in alert

    over(rows)
    for _ in range(2):
        call_command("watch_workers")

    assert len(alerts(workers)) == 2 and back_words in alerts(workers)[1]


def test_it_stays_quiet_at_the_threshold(workers, settings):
    settings.ALERT_QUEUE_SIZE = 3
    beat(0)
    queued(3)

    call_command("watch_workers")

    assert alerts(workers) == []


def test_it_survives_telegram_down_and_delivers_the_alert_and_the_back_on_later_runs(workers, monkeypatch):
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    beat(600)
    workers.telegram.fail_next("sendMessage", status=502, description="Bad Gateway", times=sender.MAX_TRIES)

    assert call_command("watch_workers").startswith("watch:")
    assert alerts(workers) == []

    call_command("watch_workers")
    (alert,) = alerts(workers)
    assert "Воркеры молчат" in alert

    beat(0)
    workers.telegram.fail_next("sendMessage", status=502, description="Bad Gateway", times=sender.MAX_TRIES)
    call_command("watch_workers")
    assert len(alerts(workers)) == 1 and Alert.objects.filter(key="workers:down~back").exists()

    call_command("watch_workers")
    call_command("watch_workers")
    assert len(alerts(workers)) == 2 and "Воркеры снова работают" in alerts(workers)[1]
    assert not Alert.objects.exists()


def test_it_tries_telegram_once_a_run_while_it_is_down(workers, settings, monkeypatch):
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    settings.ALERT_QUEUE_SIZE = 0
    beat(600)
    queued(1)
    workers.telegram.fail_next("sendMessage", status=502, description="Bad Gateway", times=sender.MAX_TRIES)

    call_command("watch_workers")
    assert len(workers.telegram.requests("sendMessage")) == sender.MAX_TRIES  # one message's tries, not two

    call_command("watch_workers")
    assert len(alerts(workers)) == 2


def test_it_exits_cleanly_when_a_check_breaks(workers, monkeypatch):
    beat(600)

    def queue_size(now):
        raise RuntimeError("the database said no")

    monkeypatch.setattr(watch, "_queue_size", queue_size)

    summary = call_command("watch_workers")

    assert "queue_size failed" in summary
    (alert,) = alerts(workers)  # the other checks still ran
    assert "Воркеры молчат" in alert


@pytest.mark.django_db(transaction=True)
def test_it_alerts_once_and_says_back_once_when_two_watchers_run_at_once(workers):
    beat(600)

    race(watch.run, threads=4)
    assert len(alerts(workers)) == 1

    beat(0)
    race(watch.run, threads=4)
    assert len(alerts(workers)) == 2 and "Воркеры снова работают" in alerts(workers)[1]
