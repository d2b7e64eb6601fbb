from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from generations import pipeline, watchdog
from generations.models import Generation
from neurocards.models import Heartbeat
from tests.factories import make_generations, make_user, place_order

pytestmark = pytest.mark.django_db


def test_it_tells_once_that_a_video_takes_longer_than_five_minutes(workers):
    (generation,) = place_order(make_user(credits=50, telegram_id=6161), telegram=workers.telegram).generations
    workers.kie.program(outcome="hang")
    pipeline.submit(generation_id=generation.pk)
    Generation.objects.filter(pk=generation.pk).update(submitted_at=timezone.now() - timedelta(minutes=6))

    watchdog.run()
    watchdog.run()

    (message,) = workers.telegram.texts(chat_id=6161)
    assert "ещё в работе" in message and "около 5 минут" in message


def test_it_alerts_operators_once_about_a_queue_that_does_not_move(workers, settings):
    settings.QUEUE_ALERT_MINUTES = 15
    (generation,) = make_generations(make_user(), count=1)
    Generation.objects.filter(pk=generation.pk).update(
        created_at=timezone.now() - timedelta(minutes=20), next_attempt_at=timezone.now() + timedelta(hours=1)
    )

    watchdog.run()
    watchdog.run()

    (alert,) = workers.telegram.texts(chat_id=900001)
    assert "queued for 20 minutes" in alert


def test_it_hands_due_generations_to_workers_and_leaves_a_heartbeat(workers, capsys):
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=timezone.now())

    call_command("run_watchdog")

    assert "1 dispatched" in capsys.readouterr().out
    assert Generation.objects.get(pk=generation.pk).status == "processing"  # the submit ran (sync in tests)
    assert Heartbeat.objects.filter(name="watchdog").exists()
