"""The dashboard's figure per model for the orders of the last 24 h: made, failed, and made instead of the model
the seller ordered (a take-over), each linked to the generations it counts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from generations.models import Generation
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db
Status = Generation.Status


def made(user, model, *, status, ordered=None, hours_ago=1):
    (generation,) = make_generations(user, kind="image" if model == "nano-banana" else "video")
    Generation.objects.filter(pk=generation.pk).update(
        model=model,
        ordered_model=ordered or model,
        status=status,
        created_at=timezone.now() - timedelta(hours=hours_ago),
    )
    return generation


def rows(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.get("Location"))
    return {obj.pk for obj in page.context["cl"].result_list}


@pytest.fixture
def day(settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    user = make_user()
    return {
        "sora_done": made(user, "sora2", status=Status.COMPLETED),
        "sora_failed": made(user, "sora2", status=Status.FAILED),
        "sora_old": made(user, "sora2", status=Status.COMPLETED, hours_ago=30),
        "veo_instead": made(user, "veo3_fast", status=Status.COMPLETED, ordered="sora2"),
        "veo_failed_instead": made(user, "veo3_fast", status=Status.FAILED, ordered="sora2"),
        "veo_done": made(user, "veo3_fast", status=Status.COMPLETED),
        "card": made(user, "nano-banana", status=Status.COMPLETED),
    }


def test_it_counts_each_models_last_day_and_links_each_figure_to_its_rows(client, day):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))

    shown = {label: figures for label, *figures in client.get("/admin/").context["dashboard"]["models"]}

    assert list(shown) == ["Sora 2", "Veo 3.1 Fast", "Veo 3.1 Quality", "карточки (nano-banana)"]
    counted = {label: [figure.value for figure in figures] for label, figures in shown.items()}
    assert counted == {
        "Sora 2": [1, 1, 0],
        "Veo 3.1 Fast": [2, 1, 2],
        "Veo 3.1 Quality": [0, 0, 0],
        "карточки (nano-banana)": [1, 0, 0],
    }
    sora_made, sora_failed, sora_instead = shown["Sora 2"]
    assert rows(client, sora_made.url) == {day["sora_done"].pk}
    assert rows(client, sora_failed.url) == {day["sora_failed"].pk}
    assert rows(client, sora_instead.url) == set()
    veo_made, veo_failed, veo_instead = shown["Veo 3.1 Fast"]
    assert rows(client, veo_made.url) == {day["veo_instead"].pk, day["veo_done"].pk}
    assert rows(client, veo_failed.url) == {day["veo_failed_instead"].pk}
    assert rows(client, veo_instead.url) == {day["veo_instead"].pk, day["veo_failed_instead"].pk}
    assert rows(client, shown["карточки (nano-banana)"][0].url) == {day["card"].pk}


def test_it_shows_the_models_in_russian(client, support, day):
    html = client.get("/admin/").content.decode()

    assert "Veo 3.1 Fast за 24 ч" in html and "вместо заказанной модели" in html and "сделано" in html
