"""The generations list answers "where is my video?": age, deadline (overdue marked), delivery; times local."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from generations.models import Generation, GenerationEvent
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db
GENERATIONS = "/admin/generations/generation/"
Status = Generation.Status


def made(user, **fields):
    (generation,) = make_generations(user)
    Generation.objects.filter(pk=generation.pk).update(**fields)
    return Generation.objects.get(pk=generation.pk)


def row(html, generation):
    return html.split(f'/generation/{generation.pk}/change/"')[1].split("</tr>")[0]


def test_it_shows_the_age_in_russian_and_marks_a_deadline_passed_while_active(client, support):
    now = timezone.now()
    user = make_user()
    overdue = made(
        user, status=Status.PROCESSING, created_at=now - timedelta(minutes=12), timeout_at=now - timedelta(minutes=1)
    )
    finished = made(
        user, status=Status.FAILED, created_at=now - timedelta(hours=3), timeout_at=now - timedelta(hours=2)
    )

    html = client.get(GENERATIONS).content.decode()

    assert "12 мин" in row(html, overdue) and "назад" not in row(html, overdue)
    assert 'class="overdue"' in row(html, overdue)
    assert "3 ч" in row(html, finished) and 'class="overdue"' not in row(html, finished)


def test_it_shows_whether_the_result_was_delivered(client, support):
    user = make_user()
    sent_at = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    delivered = made(user, status=Status.COMPLETED, result_sent_at=sent_at)
    pending = made(user, status=Status.COMPLETED)
    given_up = made(user, status=Status.COMPLETED, delivery_attempts=7, next_delivery_at=None)

    html = client.get(GENERATIONS).content.decode()

    assert "доставлен 1 декабря 2026 г. 12:05" in row(html, delivered)  # Moscow is UTC+3
    assert "ожидает отправки" in row(html, pending)
    assert "не доставлен, попыток: 7" in row(html, given_up)


def test_it_filters_the_active_generations_past_their_deadline(client, support):
    now = timezone.now()
    user = make_user()
    overdue = made(user, status=Status.QUEUED, timeout_at=now - timedelta(minutes=5))
    made(user, status=Status.QUEUED, timeout_at=now + timedelta(minutes=5))
    made(user, status=Status.FAILED, timeout_at=now - timedelta(minutes=5))

    page = client.get(GENERATIONS, {"overdue": "1"})

    assert [generation.pk for generation in page.context["cl"].result_list] == [overdue.pk]


def test_it_shows_the_attempt_history_in_moscow_time(client, support):
    (generation,) = make_generations(make_user())
    event = GenerationEvent.objects.create(generation=generation, kind="submit", detail="attempt 1 on kie")
    GenerationEvent.objects.filter(pk=event.pk).update(at=datetime(2026, 12, 1, 11, 30, 15, tzinfo=UTC))

    html = client.get(f"{GENERATIONS}{generation.pk}/change/").content.decode()

    history = html.split("История попыток")[1]
    assert "14:30" in history and "11:30" not in history
    assert "отправлено провайдеру" in history
