"""The Mini App's page: a shell with no user data. Its script (static/miniapp/app.js) asks the API for everything,
signed by Telegram's initData; the page itself only carries the words of both languages (json_script: data, never
run) and the address of Telegram's script.

Its own Content-Security-Policy, stricter than the admin's: scripts from our origin and Telegram's script's origin
only, no inline script; fetches to our origin; pictures and videos from our origin, the public address the signed
links are made on, and the bucket's host when media are in object storage. Telegram Web shows a Mini App in an
iframe of web.telegram.org, so that is the one origin that may frame it (and X-Frame-Options is left off, which
would forbid it).
"""

import functools
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

LANGUAGES = ("ru", "en")
TELEGRAM_WEB = "https://web.telegram.org"


def origin(url):
    """scheme://host[:port] of an absolute URL, or "" for a relative or empty one."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def media_sources():
    """Where the page's thumbnails and previews come from besides 'self': the host of the signed links and, with
    object storage, the presigned URLs they redirect to."""
    sources = [origin(settings.PUBLIC_BASE_URL)]
    if settings.MEDIA_STORAGE == "s3":
        endpoint = urlsplit(settings.S3_ENDPOINT_URL or "")
        if endpoint.netloc:
            # Path style at the endpoint, or virtual-hosted style at <bucket>.<endpoint host>.
            sources += [origin(settings.S3_ENDPOINT_URL), f"{endpoint.scheme}://*.{endpoint.netloc}"]
        else:
            sources.append("https://*.amazonaws.com")
    return [source for source in dict.fromkeys(sources) if source]


def policy():
    media = " ".join(["'self'", *media_sources()])
    scripts = " ".join(["'self'", *filter(None, [origin(settings.MINIAPP_WEBAPP_JS_URL)])])
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            "script-src-attr 'none'",
            # Telegram Web's script injects a <style> with the client's theme into an iframed Mini App; a style
            # can't run script, and with img-src closed it can't send anything out either.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {media} data: blob:",
            f"media-src {media} blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {TELEGRAM_WEB}",
        ]
    )


def words():
    """Every text of the page, in both languages: the script picks one by the user's Telegram language."""
    catalogs = {}
    for language in LANGUAGES:
        with translation.override(language):
            rendered = render_to_string("miniapp/words.html")
        catalogs[language] = {
            key.strip(): text.strip()
            for key, _, text in (line.partition("=") for line in rendered.splitlines())
            if key.strip() and text.strip()
        }
    return catalogs


@functools.cache
def asset_version(name):
    """A short hash of a static file's content, put in its URL: nginx lets browsers keep /static/ for 30 days,
    and a Telegram client must still load the script and stylesheet of this deploy, never an older one."""
    collected = Path(settings.STATIC_ROOT) / name
    path = collected if collected.is_file() else finders.find(name)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12] if path else ""


@require_GET
@xframe_options_exempt
def index(request):
    context = {
        "words": words(),
        "webapp_js_url": settings.MINIAPP_WEBAPP_JS_URL,
        "api_base": reverse("miniapp") + "api/",
        "js_version": asset_version("miniapp/app.js"),
        "css_version": asset_version("miniapp/app.css"),
    }
    response = render(request, "miniapp/index.html", context)
    response.headers["Content-Security-Policy"] = policy()
    response.headers["Referrer-Policy"] = "no-referrer"
    # The shell names no user, but it changes with each deploy's script and words.
    response.headers["Cache-Control"] = "no-cache"
    return response
