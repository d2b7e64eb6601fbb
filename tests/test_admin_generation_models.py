"""The generations admin names each generation's model: a filter by it (and by take-overs), a column that says
when another model took the order over, both models on the generation's page, search by a model's key, and a
retry ordered from the model the seller chose."""

import pytest

from billing import ledger
from generations.models import Generation
from tests.factories import make_generations, make_user
from tests.staff import act

pytestmark = pytest.mark.django_db
GENERATIONS = "/admin/generations/generation/"
Status = Generation.Status


def made(user, model, ordered=None, kind=Generation.Kind.VIDEO, **fields):
    (generation,) = make_generations(user, kind=kind)
    Generation.objects.filter(pk=generation.pk).update(model=model, ordered_model=ordered or model, **fields)
    return Generation.objects.get(pk=generation.pk)


def listed(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.get("Location"))
    return {generation.pk for generation in page.context["cl"].result_list}


def row(html, generation):
    return html.split(f'/generation/{generation.pk}/change/"')[1].split("</tr>")[0]


@pytest.fixture
def shop():
    user = make_user()
    return {
        "sora": made(user, "sora2"),
        "veo": made(user, "veo3_fast"),
        "instead": made(user, "veo3_fast", ordered="sora2"),
        "card": made(user, "nano-banana", kind=Generation.Kind.IMAGE),
    }


def test_it_filters_by_the_model_that_made_each_generation(client, support, shop):
    assert listed(client, f"{GENERATIONS}?model=veo3_fast") == {shop["veo"].pk, shop["instead"].pk}
    assert listed(client, f"{GENERATIONS}?model=sora2") == {shop["sora"].pk}
    assert listed(client, f"{GENERATIONS}?model=nano-banana") == {shop["card"].pk}
    assert listed(client, f"{GENERATIONS}?taken_over=1") == {shop["instead"].pk}


def test_it_names_the_models_in_the_filter_in_russian(client, support, shop):
    html = client.get(GENERATIONS).content.decode()

    for choice in ("?model=sora2", "?model=veo3_fast", "?model=veo3", "?model=nano-banana", "?taken_over=1"):
        assert f'href="{choice}"' in html
    assert "Veo 3.1 Quality" in html and "карточки (nano-banana)" in html
    assert "сделано не той моделью, что заказана" in html


def test_it_shows_the_model_in_the_list_and_which_one_was_ordered_when_taken_over(client, support, shop):
    html = client.get(GENERATIONS).content.decode()

    assert "Veo 3.1 Fast (вместо Sora 2)" in row(html, shop["instead"])
    assert "Veo 3.1 Fast" in row(html, shop["veo"]) and "вместо" not in row(html, shop["veo"])
    assert "Sora 2" in row(html, shop["sora"]) and "вместо" not in row(html, shop["sora"])
    assert "карточки (nano-banana)" in row(html, shop["card"])


def test_it_shows_both_models_on_the_generations_page(client, support, shop):
    html = client.get(f"{GENERATIONS}{shop['instead'].pk}/change/").content.decode()

    assert "Заказанная модель" in html
    assert "Veo 3.1 Fast (veo3_fast)" in html and "Sora 2 (sora2)" in html


def test_it_finds_the_generations_of_a_model_by_its_key(client, support, shop):
    assert listed(client, f"{GENERATIONS}?q=veo3_fast") == {shop["veo"].pk, shop["instead"].pk}
    assert listed(client, f"{GENERATIONS}?q=sora2") == {shop["sora"].pk}


def test_it_retries_a_taken_over_generation_with_the_model_the_seller_ordered(client, support, enqueued, settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]
    user = make_user(credits=100)
    failed = made(user, "veo3_fast", ordered="sora2", status=Status.FAILED, seconds=8)

    act(client, GENERATIONS, "retry_generations", [failed], reason="try Sora again")

    retry = Generation.objects.exclude(pk=failed.pk).get()
    assert (retry.model, retry.ordered_model, retry.seconds) == ("sora2", "sora2", 10)


def test_it_retries_with_the_default_model_when_the_ordered_one_is_off(client, support, enqueued, settings):
    settings.VIDEO_MODELS = ["veo3_fast"]
    user = make_user(credits=100)
    failed = made(user, "sora2", status=Status.FAILED, seconds=15)
    ledger.charge_generations(generations=[failed])

    act(client, GENERATIONS, "retry_generations", [failed], reason="Sora is off now")

    retry = Generation.objects.exclude(pk=failed.pk).get()
    assert (retry.model, retry.seconds) == ("veo3_fast", 8)
