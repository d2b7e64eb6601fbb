"""The Mini App's page (/miniapp/): a shell with no user data, both languages' words as JSON data, Telegram's script
and ours only, under its own strict Content-Security-Policy."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.test import Client

from miniapp import page
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db


def policy(response):
    header = response.headers.get("Content-Security-Policy", "")
    return dict((part.split(" ", 1) + [""])[:2] for part in header.split("; ") if part)


def words_of(html):
    found = re.search(r'<script id="miniapp-words" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_it_serves_a_shell_with_no_user_data():
    user = make_user(first_name="Зинаида", username="zina_seller", credits=77)
    make_generations(user)

    response = Client().get("/miniapp/")

    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Зинаида" not in html and "zina_seller" not in html and "A ceramic mug" not in html
    assert '<script src="https://telegram.org/js/telegram-web-app.js"></script>' in html
    assert "/static/miniapp/app.js" in html and "/static/miniapp/app.css" in html
    assert 'data-api="/miniapp/api/"' in html
    assert not response.cookies


def test_it_runs_no_inline_script_only_the_words_as_data():
    html = Client().get("/miniapp/").content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == ['<script id="miniapp-words" type="application/json">']
    assert re.search(r"<[^>]+\son[a-z]+=", html) is None
    assert "<style" not in html and "style=" not in html


def test_it_carries_every_word_in_russian_and_english():
    words = words_of(Client().get("/miniapp/").content.decode())

    assert set(words) == {"ru", "en"} and set(words["ru"]) == set(words["en"]) and len(words["ru"]) > 30
    assert words["ru"]["tab_gallery"] == "Галерея" and words["en"]["tab_gallery"] == "Gallery"
    assert words["ru"]["send"] == "Отправить в чат" and words["ru"]["again"] == "Сделать ещё с этим товаром"
    assert (
        words["ru"]["error_title"] == "Откройте это из бота" and words["en"]["error_title"] == "Open this from the bot"
    )
    assert all(re.search("[А-Яа-яЁё]", text) for text in words["ru"].values())
    assert not any(re.search("[А-Яа-яЁё]", text) for key, text in words["en"].items() if key != "error_text")


def test_it_sends_a_strict_policy_that_allows_the_telegram_script():
    response = Client().get("/miniapp/")

    rules = policy(response)
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'self' https://telegram.org"
    assert rules["connect-src"] == "'self'"
    assert rules["object-src"] == "'none'" and rules["base-uri"] == "'none'" and rules["form-action"] == "'none'"
    assert "unsafe" not in rules["script-src"] and "data:" not in rules["script-src"]
    # Telegram Web frames the Mini App; nothing else may, and X-Frame-Options would forbid Telegram Web too.
    assert rules["frame-ancestors"] == "https://web.telegram.org"
    assert "X-Frame-Options" not in response.headers


def test_it_allows_the_script_origin_the_settings_name(settings):
    settings.MINIAPP_WEBAPP_JS_URL = "http://127.0.0.1:8123/telegram-web-app.js"

    response = Client().get("/miniapp/")

    assert policy(response)["script-src"] == "'self' http://127.0.0.1:8123"
    assert '<script src="http://127.0.0.1:8123/telegram-web-app.js"></script>' in response.content.decode()


@pytest.mark.parametrize(
    "endpoint, wanted",
    [
        ("https://storage.yandexcloud.net", ["https://storage.yandexcloud.net", "https://*.storage.yandexcloud.net"]),
        ("", ["https://*.amazonaws.com"]),
    ],
)
def test_it_allows_the_bucket_for_pictures_when_media_are_in_object_storage(settings, endpoint, wanted):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    settings.MEDIA_STORAGE, settings.S3_ENDPOINT_URL = "s3", endpoint

    rules = policy(Client().get("/miniapp/"))

    for rule in ("img-src", "media-src"):
        assert rules[rule].split()[:2] == ["'self'", "https://bot.example.com"]
        assert all(source in rules[rule].split() for source in wanted)


def test_it_allows_pictures_only_from_our_own_addresses_on_the_filesystem(settings):
    settings.PUBLIC_BASE_URL, settings.MEDIA_STORAGE = "https://bot.example.com", "filesystem"

    assert page.media_sources() == ["https://bot.example.com"]


def test_it_names_this_deploys_script_and_stylesheet_in_their_urls():
    # nginx lets browsers keep /static/ for 30 days: a new app.js must get a new URL.
    html = Client().get("/miniapp/").content.decode()

    for name in ("app.js", "app.css"):
        content = (Path(__file__).resolve().parent.parent / "miniapp" / "static" / "miniapp" / name).read_bytes()
        assert f"/static/miniapp/{name}?v={hashlib.sha256(content).hexdigest()[:12]}" in html


def test_it_answers_only_get():
    assert Client().post("/miniapp/").status_code == 405
    assert Client().get("/miniapp/").status_code == 200
