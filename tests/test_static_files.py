"""The admin's static files come from the app itself (whitenoise), with DEBUG off and no nginx in front."""

import logging
import os
import socket
import subprocess
import sys
import time
import warnings

import httpx
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient

from neurocards.lib.static import StaticFiles
from tests.test_configuration import FEATURES


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


def test_it_answers_404_for_a_file_that_is_not_there_through_the_asgi_app():
    response, _ = fetch("/static/admin/css/nothing-here.css")

    assert response.status_code == 404


def test_it_looks_files_up_on_disk_with_autorefresh_through_the_asgi_app(settings):
    settings.DEBUG = True  # whitenoise's autorefresh follows DEBUG

    response, body = fetch("/static/admin/css/base.css")

    assert response.status_code == 200 and b"body" in body


def test_no_middleware_sends_an_asgi_request_through_a_thread(settings, caplog):
    """Every middleware is of both kinds, so under uvicorn a request (the webhook's) stays in the event loop
    from the first middleware to the view: Django adapts none of them, which it logs (with DEBUG on)."""
    settings.DEBUG = True

    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()

    assert [record.getMessage() for record in caplog.records if "adapted" in record.getMessage()] == []


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


def test_it_styles_the_admin_under_uvicorn_without_nginx():
    """As `make run` starts it: uvicorn, DEBUG off, no collectstatic, nothing in front."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TELEGRAM_", "KIE_", "YOOKASSA_", "GENERATION_"))
    }
    env.update(FEATURES, DJANGO_DEBUG="false", SECRET_KEY="x" * 50, DATABASE_URL="sqlite:///:memory:")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "neurocards.asgi:application", "--port", str(port), "--log-level", "error"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            login = _first_answer(http, "/admin/login/", server)
            css = http.get("/static/admin/css/base.css")
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert login.status_code == 200 and "/static/admin/css/base.css" in login.text
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")


def _first_answer(http, path, server):
    for _ in range(300):
        if server.poll() is not None:
            raise AssertionError(f"uvicorn stopped: {server.stderr.read().decode()}")
        try:
            return http.get(path)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("uvicorn did not answer within 30 s")
