"""Admin pages carry a Content-Security-Policy that allows scripts and stylesheets from our own origin only, and
our admin templates need nothing more; other paths are left alone."""

import re

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def policy(response):
    header = response.headers.get("Content-Security-Policy", "")
    return dict((part.split(" ", 1) + [""])[:2] for part in header.split("; ") if part)


def test_it_sends_the_policy_on_the_login_page():
    from django.test import Client

    rules = policy(Client().get("/admin/login/"))

    assert rules["script-src"] == "'self'" and rules["style-src-elem"] == "'self'"
    assert rules["object-src"] == "'none'" and rules["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in rules["script-src"] + rules["default-src"] + rules["style-src"]


@pytest.mark.parametrize("page", ["/admin/", "/admin/accounts/telegramuser/", "change"])
def test_it_renders_our_admin_pages_with_no_inline_script_or_style_block(client, support, page):
    user = make_user()
    url = f"/admin/accounts/telegramuser/{user.pk}/change/" if page == "change" else page

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200 and policy(response)["script-src"] == "'self'"
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    # Our stylesheet (dashboard, action buttons, the language switch) once, from admin/base_site.html.
    assert html.count("neurocards/admin.css") == 1


def test_it_leaves_other_paths_alone(client):
    assert "Content-Security-Policy" not in client.get("/healthz").headers
