import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from botapp.models import ProcessedUpdate
from generations.models import Generation
from ops import cleanup
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    old, fresh = make_generations(make_user(), count=2)
    for generation, days in ((old, 40), (fresh, 1)):
        generation.result_file.save(f"r{generation.pk}.mp4", ContentFile(b"video"), save=False)
        generation.reference_image.save(f"p{generation.pk}.jpg", ContentFile(b"photo"), save=False)
        generation.reference_file_id = "AgACfile"
        generation.status = "completed"
        generation.save()
        Generation.objects.filter(pk=generation.pk).update(
            created_at=timezone.now() - timedelta(days=days), finished_at=timezone.now() - timedelta(days=days)
        )
    ProcessedUpdate.objects.create(update_id=1)
    ProcessedUpdate.objects.filter(update_id=1).update(received_at=timezone.now() - timedelta(days=30))
    ProcessedUpdate.objects.create(update_id=2)
    old.refresh_from_db()
    fresh.refresh_from_db()
    return old, fresh


def test_it_says_what_it_would_delete_and_deletes_nothing(aged, capsys):
    old, _ = aged

    call_command("run_cleanup", "--dry-run")

    out = capsys.readouterr().out
    assert "dry run" in out and "1 result files, 1 product photos, 1 update ids" in out
    assert default_storage.exists(old.result_file.name)


def test_it_deletes_old_files_and_empties_their_fields(aged):
    old, fresh = aged
    names = (old.result_file.name, old.reference_image.name)

    cleanup.run()

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.result_file.name, old.reference_image.name, old.reference_file_id) == ("", "", "")
    assert not any(default_storage.exists(name) for name in names)
    assert fresh.result_file and fresh.reference_image and default_storage.exists(fresh.result_file.name)
    assert list(ProcessedUpdate.objects.values_list("update_id", flat=True)) == [2]


def test_it_deletes_checked_photos_no_order_took_once_they_are_old(settings, tmp_path):
    import os

    from accounts.models import TelegramUser
    from botapp.models import FlowState

    settings.MEDIA_ROOT = str(tmp_path)
    names = {
        what: default_storage.save(f"references/{what}.jpg", ContentFile(b"photo"))
        for what in ("abandoned", "ordered", "in-a-draft", "recent")
    }
    (generation,) = make_generations(make_user())
    Generation.objects.filter(pk=generation.pk).update(reference_image=names["ordered"])
    FlowState.objects.create(user=TelegramUser.objects.get(), step="count", draft={"image": names["in-a-draft"]})
    long_ago = (timezone.now() - timedelta(days=settings.REFERENCE_TTL_DAYS + 1)).timestamp()
    for what in ("abandoned", "ordered", "in-a-draft"):
        os.utime(default_storage.path(names[what]), (long_ago, long_ago))

    assert cleanup.run()["unused product photos"] == 1

    assert [what for what, name in names.items() if not default_storage.exists(name)] == ["abandoned"]


def test_it_states_its_cut_off_dates_in_the_local_time_zone(aged, capsys, settings):
    settings.RESULT_TTL_DAYS, settings.REFERENCE_TTL_DAYS = 30, 7
    earliest = timezone.localtime() - timedelta(days=30)

    call_command("run_cleanup", "--dry-run")

    latest = timezone.localtime() - timedelta(days=30)
    out = capsys.readouterr().out
    found = re.search(r"results before (\d{4}-\d\d-\d\d \d\d:\d\d) MSK", out)
    assert found, out
    assert f"{earliest:%Y-%m-%d %H:%M}" <= found.group(1) <= f"{latest:%Y-%m-%d %H:%M}"
    assert re.search(r"product photos before \d{4}-\d\d-\d\d \d\d:\d\d MSK", out)
    assert "raw payloads before" in out


def test_it_reckons_each_cut_off_from_its_setting(settings):
    settings.RESULT_TTL_DAYS, settings.REFERENCE_TTL_DAYS, settings.PAYLOAD_TTL_DAYS = 30, 7, 90
    now = timezone.now()

    before = cleanup.cutoffs(now)

    assert now - before["results"] == timedelta(days=30)
    assert now - before["product photos"] == timedelta(days=7)
    assert now - before["raw payloads"] == timedelta(days=90)
