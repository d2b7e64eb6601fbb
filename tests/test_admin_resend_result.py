"""Support sends a completed generation's result to the user's chat again, from the admin, once per form."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.utils import timezone

from generations.models import Generation, GenerationEvent
from tests.factories import make_generations, make_user
from tests.staff import act, resubmit, said

pytestmark = pytest.mark.django_db
GENERATIONS = "/admin/generations/generation/"


def completed(user, *, kind=Generation.Kind.VIDEO):
    (generation,) = make_generations(user, kind=kind)
    generation.result_file.save("reel.mp4", ContentFile(b"mp4 bytes"), save=False)
    generation.status = Generation.Status.COMPLETED
    generation.finished_at = generation.result_sent_at = timezone.now()
    generation.result_parts_sent = 1
    generation.save()
    return generation


def test_it_sends_the_result_again_once_per_form_with_its_caption(client, support, workers):
    user = make_user(telegram_id=515151)
    generation = completed(user)

    page, done = act(client, GENERATIONS, "resend_results", [generation], reason="the user lost the chat")
    again = resubmit(client, GENERATIONS, "resend_results", [generation], page, reason="the user lost the chat")

    (video,) = workers.telegram.requests("sendVideo", chat_id=515151)
    assert video.params["caption"] == f"A ceramic mug — видео готово · #{generation.pk}"
    assert any("результат отправлен пользователю ещё раз" in text for text in said(done))
    assert any("эта форма уже применена" in text for text in said(again))
    (event,) = GenerationEvent.objects.filter(generation=generation, kind="resent")
    assert event.detail == "сотрудник support"
    (log,) = LogEntry.objects.filter(object_id=str(generation.pk))
    assert log.get_change_message() == "Результат отправлен ещё раз. Причина: the user lost the chat"


def test_it_sends_it_again_for_a_new_form(client, support, workers):
    generation = completed(make_user(telegram_id=515152))

    act(client, GENERATIONS, "resend_results", [generation], reason="first")
    act(client, GENERATIONS, "resend_results", [generation], reason="and once more")

    assert len(workers.telegram.requests("sendVideo", chat_id=515152)) == 2


def test_it_says_so_when_the_file_was_cleaned_up(client, support, workers):
    generation = completed(make_user(telegram_id=515153))
    generation.result_file.storage.delete(generation.result_file.name)

    _, done = act(client, GENERATIONS, "resend_results", [generation], reason="lost")

    assert any("не отправлено: файл результата уже удалён при очистке" in text for text in said(done))
    assert workers.telegram.requests("sendVideo", chat_id=515153) == []


def test_it_says_so_when_telegram_refuses(client, support, workers):
    generation = completed(make_user(telegram_id=515154))
    workers.telegram.fail_next("sendVideo", status=400, description="Bad Request: chat not found")

    _, done = act(client, GENERATIONS, "resend_results", [generation], reason="lost")

    assert any("не отправлено: Telegram не принял его" in text for text in said(done))
    assert GenerationEvent.objects.filter(generation=generation, kind="resend failed").exists()
    assert not LogEntry.objects.filter(object_id=str(generation.pk)).exists()


def test_it_offers_a_resend_only_for_a_completed_result_with_its_file(client, support, workers):
    user = make_user(telegram_id=515155)
    generation = completed(user)
    (queued,) = make_generations(user)

    page = client.post(GENERATIONS, {"action": "resend_results", "_selected_action": [queued.pk]})
    html = client.get(f"{GENERATIONS}{generation.pk}/change/").content.decode()

    assert "Отправить ещё раз можно только готовую генерацию" in page.content.decode()
    assert 'name="action" value="resend_results"' in html
    for action in ("refund_generations", "cancel_generations", "retry_generations"):
        assert f'name="action" value="{action}"' not in html
