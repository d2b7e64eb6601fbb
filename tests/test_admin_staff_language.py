"""The admin speaks the operator's language (LANGUAGE_CODE, Russian) whatever the staff browser asks for, and a
member may switch it in the header; pages for sellers still follow their browser."""

import re

import pytest

from tests.staff import make_support

pytestmark = pytest.mark.django_db
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.fixture
def staff(client):
    client.force_login(make_support())
    return client


def test_it_shows_the_admin_in_russian_to_an_english_browser(staff):
    page = staff.get("/admin/", **ENGLISH_BROWSER)

    html = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == "ru"
    assert "Пульт поддержки" in html and "Console" not in html


def test_it_switches_the_admin_to_english_from_its_header_and_back(staff):
    html = staff.get("/admin/").content.decode()
    switch = re.search(r'<form id="language-form".*?</form>', html, re.S).group(0)
    assert 'value="en"' in switch and 'value="ru"' not in switch

    answer = staff.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})

    assert (answer.status_code, answer["Location"]) == (302, "/admin/")
    page = staff.get("/admin/")
    assert page["Content-Language"] == "en" and "Console" in page.content.decode()

    staff.post("/i18n/setlang/", {"language": "ru", "next": "/admin/"})
    assert staff.get("/admin/")["Content-Language"] == "ru"


def test_it_ignores_an_unknown_language_cookie(staff):
    staff.cookies["django_language"] = "xx"

    assert staff.get("/admin/", **ENGLISH_BROWSER)["Content-Language"] == "ru"


def test_it_never_sends_the_switch_elsewhere(staff):
    answer = staff.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert answer["Location"] == "/"


def test_it_lets_a_sellers_page_follow_the_browser(client):
    page = client.get("/billing/return/", **ENGLISH_BROWSER)

    assert page["Content-Language"] == "en"
