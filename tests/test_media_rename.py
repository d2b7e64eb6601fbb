"""`manage.py rename_media`: files stored under the old guessable names move to random ones, once."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from generations.models import Generation
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db


def rename(*args):
    out = io.StringIO()
    call_command("rename_media", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def old_style(settings, tmp_path):
    """An order of two stored as before: the photo under the first id, each result under its id and date."""
    settings.MEDIA_ROOT = str(tmp_path)
    first, second = make_generations(make_user(), count=2)
    photo = default_storage.save(f"references/2026/11/23/{first.pk}.jpg", ContentFile(b"photo"))
    for generation in (first, second):
        content = ContentFile(b"video %d" % generation.pk)
        result = default_storage.save(f"results/2026/11/23/{generation.pk}.mp4", content)
        Generation.objects.filter(pk=generation.pk).update(reference_image=photo, result_file=result)
    return first, second, photo


def test_it_moves_guessable_files_to_random_names_and_deletes_the_old_ones(old_style):
    first, second, photo = old_style

    assert rename("--dry-run") == "rename media: would rename 1 product photos, 2 results"
    assert rename() == "rename media: renamed 1 product photos, 2 results"

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.reference_image.name == second.reference_image.name != photo
    assert re.fullmatch(r"references/[A-Za-z0-9_-]{32}\.jpg", first.reference_image.name)
    for generation in (first, second):
        assert re.fullmatch(r"results/[A-Za-z0-9_-]{32}\.mp4", generation.result_file.name)
        with generation.result_file.open("rb") as file:
            assert file.read() == b"video %d" % generation.pk
    assert not default_storage.exists(photo)
    assert not default_storage.exists(f"results/2026/11/23/{first.pk}.mp4")
    assert rename() == "rename media: renamed 0 product photos, 0 results"


def test_it_skips_a_file_that_is_already_gone(old_style):
    first, _, photo = old_style
    default_storage.delete(photo)

    assert rename() == "rename media: renamed 0 product photos, 2 results"
    first.refresh_from_db()
    assert first.reference_image.name == photo
