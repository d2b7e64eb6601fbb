import pytest
from django.core.files.base import ContentFile

from billing import ledger
from generations.models import Generation, GenerationEvent
from tests.factories import make_generations, make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db
GENERATIONS = "/admin/generations/generation/"


@pytest.fixture
def support(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    staff = make_support()
    client.force_login(staff)
    return staff


def found(client, term):
    page = client.get(GENERATIONS, {"q": term})
    assert page.status_code == 200
    return {generation.pk for generation in page.context["cl"].result_list}


def test_it_finds_generations_by_telegram_id_username_task_or_order(client, support):
    (first,) = make_generations(make_user(telegram_id=7770001, username="mugs"))
    (second,) = make_generations(make_user(telegram_id=7770002))
    Generation.objects.filter(pk=second.pk).update(provider_task_id="task_abc123")

    assert found(client, "7770001") == {first.pk}
    assert found(client, "@mugs") == {first.pk}
    assert found(client, "task_abc123") == {second.pk}
    assert found(client, str(second.order_id)) == {second.pk}
    assert found(client, "task_abc") == set()


def test_it_filters_by_status_kind_provider_error_class_and_date(client, support):
    page = client.get(GENERATIONS)

    filters = {spec.title.lower() for spec in page.context["cl"].filter_specs}
    assert {"статус", "вид", "провайдер", "вид ошибки", "создано", "срок"} <= filters
    assert client.get(GENERATIONS, {"status__exact": "failed", "error_class": "provider"}).status_code == 200


def test_it_shows_the_photo_the_result_the_prompt_the_error_and_the_attempts(client, support):
    (video,) = make_generations(make_user())
    video.reference_image.save("mug.jpg", ContentFile(b"jpeg"), save=False)
    video.result_file.save("reel.mp4", ContentFile(b"mp4"), save=False)
    video.final_prompt = "A slow pan over a ceramic mug"
    video.error_class, video.error_message = "temporary", "KIE answered 503"
    video.save()
    GenerationEvent.objects.create(generation=video, kind="retry", detail="503 from the provider")

    html = client.get(f"{GENERATIONS}{video.pk}/change/").content.decode()

    # Through the view that checks the permission (tests/test_media_privacy.py), never the storage's own URL.
    assert f'<img src="/generations/{video.pk}/media/reference/"' in html
    assert f'<video src="/generations/{video.pk}/media/result/" controls' in html
    assert video.result_file.url not in html
    assert "A slow pan over a ceramic mug" in html and "KIE answered 503" in html
    assert "503 from the provider" in html
    assert video.callback_token not in html
    assert 'name="_save"' not in html


def test_it_shows_an_image_result_as_a_picture(client, support):
    (image,) = make_generations(make_user(), kind=Generation.Kind.IMAGE)
    image.result_file.save("card.jpg", ContentFile(b"jpeg"))

    html = client.get(f"{GENERATIONS}{image.pk}/change/").content.decode()

    assert f'<img src="/generations/{image.pk}/media/result/" alt="result"' in html


def test_it_puts_the_actions_that_apply_on_the_generations_page(client, support):
    (generation,) = make_generations(make_user(credits=10))
    ledger.charge_generations(generations=[generation])

    html = client.get(f"{GENERATIONS}{generation.pk}/change/").content.decode()

    for action in ("refund_generations", "cancel_generations"):
        assert f'name="action" value="{action}"' in html
    for action in ("retry_generations", "resend_results"):
        assert f'name="action" value="{action}"' not in html


def test_it_offers_a_failed_generation_its_refund_and_retry_until_refunded(client, support):
    (generation,) = make_generations(make_user(credits=10))
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.FAILED)
    page = f"{GENERATIONS}{generation.pk}/change/"

    before = client.get(page).content.decode()
    ledger.refund_generation(generation=generation, reason="failed")
    after = client.get(page).content.decode()

    assert 'value="refund_generations"' in before and 'value="retry_generations"' in before
    assert 'value="cancel_generations"' not in before and 'value="resend_results"' not in before
    assert 'value="refund_generations"' not in after and 'value="retry_generations"' in after
