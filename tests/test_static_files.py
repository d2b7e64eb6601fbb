"""The admin's static files come from the app itself (whitenoise), with DEBUG off and no nginx in front."""

import warnings

from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient

from neurocards.lib.static import StaticFiles


@async_to_sync
async def fetch(path):
    """A GET through Django's ASGI handler, as uvicorn calls it; (response, body)."""
    response = await AsyncClient().get(path)
    # whitenoise answers with a file response; its body is read here, the way the ASGI handler sends it.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_it_serves_the_admin_stylesheet_through_the_asgi_app():
    assert not settings.DEBUG

    response, body = fetch("/static/admin/css/base.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"body" in body


def test_it_serves_our_own_admin_stylesheet():
    response, _ = fetch("/static/neurocards/admin.css")

    assert response.status_code == 200


def test_it_answers_404_for_a_file_that_is_not_there(client):
    assert client.get("/static/admin/css/nothing-here.css").status_code == 404


def test_it_starts_quietly_before_collectstatic(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "not-collected-yet"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StaticFiles(lambda request: None)


def test_it_serves_collected_files_once_there_are_some(settings, tmp_path):
    (tmp_path / "collected.css").write_text("body {}")
    settings.STATIC_ROOT = tmp_path

    files = StaticFiles(lambda request: None)

    assert "/static/collected.css" in files.files
