"""Result URLs are fetched only from public https hosts, each redirect re-checked, within a size cap."""

import ipaddress

import pytest

from generations import fetch, pipeline
from generations.models import Generation
from generations.providers import get_provider
from generations.providers.base import ProviderError
from tests.factories import make_user, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(settings):
    settings.PROVIDER_FETCH_ALLOW_LOOPBACK = False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/results/a.mp4",
        "https://127.8.9.10:8443/a.mp4",
        "https://[::1]/a.mp4",
        "https://[::ffff:127.0.0.1]/a.mp4",
        "https://10.1.2.3/a.mp4",
        "https://192.168.0.10/a.mp4",
        "https://172.16.5.4/a.mp4",
        "https://100.64.0.1/a.mp4",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://[fe80::1]/a.mp4",
        "https://0.0.0.0/a.mp4",
        "https://224.0.0.1/a.mp4",
        "https://240.0.0.1/a.mp4",
        "https://[::ffff:10.0.0.1]/a.mp4",
        "https://[64:ff9b::a9fe:a9fe]/a.mp4",
        "https://localhost/a.mp4",
        "http://93.184.215.14/a.mp4",
        "ftp://93.184.215.14/a.mp4",
        "file:///etc/passwd",
        "https:///a.mp4",
        "not a url",
    ],
)
def test_it_refuses_urls_that_are_not_public_https(strict, url):
    with pytest.raises(fetch.Refused):
        fetch.fetch(url, max_bytes=1000)


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.0.0.1", False),
        ("100.127.255.254", False),
        ("169.254.169.254", False),
        ("fd00:ec2::254", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:93.184.215.14", True),
        ("2002:7f00:1::", False),
        ("239.255.255.250", False),
        ("::", False),
    ],
)
def test_it_judges_addresses(address, public):
    assert fetch.is_public(ipaddress.ip_address(address)) is public


def test_it_allows_loopback_only_with_the_setting(workers, settings):
    assert fetch.is_public(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert not fetch.is_public(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)
    url = f"{workers.kie.base_url}/results/missing.mp4"
    with pytest.raises(ProviderError, match="HTTP 404"):
        fetch.fetch(url, max_bytes=1000)  # fetched: loopback is allowed in tests
    settings.PROVIDER_FETCH_ALLOW_LOOPBACK = False
    with pytest.raises(fetch.Refused):
        fetch.fetch(url, max_bytes=1000)


def test_it_never_fetches_or_sends_a_result_on_loopback(workers, settings, django_capture_on_commit_callbacks):
    settings.PROVIDER_FETCH_ALLOW_LOOPBACK = False
    (generation,) = place_order(make_user(credits=50), telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)
    generation.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.poll(generation) == "success"  # finish runs inline and is refused

    generation.refresh_from_db()
    assert generation.status == "processing" and not generation.result_file
    assert "refused" in generation.error_message and generation.finish_attempts == 1
    assert workers.kie.requests("/results/" + generation.result_url.rsplit("/", 1)[1]) == []
    assert workers.telegram.requests("sendVideo") == []


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/results/a.mp4",
        "https://169.254.169.254/latest/meta-data/iam/",
        "https://[fd00:ec2::254]/latest/",
        "ftp://127.0.0.1/a.mp4",
    ],
)
def test_it_checks_every_redirect_again(workers, location):
    workers.kie.redirect("/results/a.mp4", location)

    with pytest.raises(fetch.Refused):
        fetch.fetch(f"{workers.kie.base_url}/results/a.mp4", max_bytes=1000)

    assert len(workers.kie.requests("/results/a.mp4")) == 1


def test_it_follows_a_few_checked_redirects_and_no_more(workers):
    base = workers.kie.base_url
    workers.kie.redirect("/results/hop1.png", f"{base}/results/hop2.png")
    workers.kie.redirect("/results/hop2.png", "/files/photo.png")  # relative: resolved against the hop
    workers.kie.redirect("/results/loop.png", f"{base}/results/loop.png")

    with pytest.raises(ProviderError, match="HTTP 404"):
        fetch.fetch(f"{base}/results/hop1.png", max_bytes=1000)
    assert len(workers.kie.requests("/files/photo.png")) == 1
    with pytest.raises(fetch.Refused, match="redirects"):
        fetch.fetch(f"{base}/results/loop.png", max_bytes=1000)
    assert len(workers.kie.requests("/results/loop.png")) == fetch.MAX_REDIRECTS + 1


def test_it_refuses_a_result_larger_than_the_cap_of_its_kind(workers, monkeypatch):
    (generation,) = place_order(
        make_user(credits=50), telegram=workers.telegram, kind="image", template="studio"
    ).generations
    pipeline.submit(generation_id=generation.pk)
    task = workers.kie.finish(Generation.objects.get(pk=generation.pk).provider_task_id)
    monkeypatch.setitem(fetch.MAX_BYTES, "image", len(workers.kie.result_content["image"]) - 1)

    with pytest.raises(fetch.Refused, match="larger than"):
        get_provider().download(task.result_url, kind="image")

    monkeypatch.setitem(fetch.MAX_BYTES, "image", len(workers.kie.result_content["image"]))
    assert get_provider().download(task.result_url, kind="image") == workers.kie.result_content["image"]
