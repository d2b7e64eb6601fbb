"""Which address KIE is given to call back: https, or plain http to this machine only (a bench, a demo)."""

import pytest
from django.core.checks import run_checks

from generations import callbacks, pipeline
from tests.factories import make_user, place_order


@pytest.mark.parametrize(
    "url",
    ["https://bot.example.com", "http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"],
)
def test_it_calls_back_over_https_or_to_this_machine(settings, url):
    settings.KIE_CALLBACK_BASE_URL = url

    assert callbacks.base_url() == url


def test_it_calls_back_to_the_public_address_by_default(settings):
    settings.KIE_CALLBACK_BASE_URL = ""
    settings.PUBLIC_BASE_URL = "https://bot.example.com"

    assert callbacks.base_url() == "https://bot.example.com"


@pytest.mark.parametrize(
    "url", ["http://bot.example.com", "http://10.0.0.5:8000", "http://127.0.0.1.example.com", "ftp://127.0.0.1"]
)
def test_it_gives_no_callback_url_over_http_to_another_machine(settings, url):
    settings.KIE_CALLBACK_BASE_URL = url
    settings.PUBLIC_BASE_URL = "https://bot.example.com"  # never a fallback for an address given

    assert callbacks.base_url() is None


def test_a_callback_url_names_the_generation_by_its_token_only(settings):
    settings.KIE_CALLBACK_BASE_URL = "http://127.0.0.1:8000"

    class Generation:
        pk = 41
        callback_token = "t0k3n"

    assert callbacks.url_for(Generation()) == "http://127.0.0.1:8000/generations/kie/callback/t0k3n/"


def test_it_warns_of_a_callback_address_it_will_not_use(settings):
    settings.KIE_CALLBACK_BASE_URL = "http://bot.example.com"

    assert "neurocards.W120" in [message.id for message in run_checks()]


def test_it_is_quiet_about_a_usable_callback_address(settings):
    settings.KIE_CALLBACK_BASE_URL = "http://127.0.0.1:8000"

    assert "neurocards.W120" not in [message.id for message in run_checks()]


def submitted_task(workers):
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()
    return generation, workers.kie.tasks[generation.provider_task_id]


@pytest.mark.django_db
def test_it_gives_kie_the_public_https_address_to_call_back(workers, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"

    generation, task = submitted_task(workers)

    assert task.callBackUrl == f"https://bot.example.com/generations/kie/callback/{generation.callback_token}/"


@pytest.mark.django_db
def test_it_gives_kie_a_loopback_http_address_to_call_back(workers, settings):
    settings.KIE_CALLBACK_BASE_URL = "http://127.0.0.1:8000"

    generation, task = submitted_task(workers)

    assert task.callBackUrl == f"http://127.0.0.1:8000/generations/kie/callback/{generation.callback_token}/"


@pytest.mark.django_db
def test_it_gives_kie_no_callback_address_without_a_usable_one(workers, settings):
    settings.KIE_CALLBACK_BASE_URL = ""  # and PUBLIC_BASE_URL empty, as the workers fixture leaves it

    _, task = submitted_task(workers)

    assert task.callBackUrl is None
