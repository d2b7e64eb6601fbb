"""Where KIE calls back when a task moves (a wake-up for the poller, generations/views.py).

KIE_CALLBACK_BASE_URL, PUBLIC_BASE_URL by default, is given to KIE when it is https, or plain http to a
loopback address (every process on one machine: a bench, a demo). Anything else gives no callback URL: an
http address on a network would carry the callback's token in the clear, and the poller finds results anyway.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def base_url():
    """The base of callback URLs, or None when callbacks are off."""
    url = settings.KIE_CALLBACK_BASE_URL or settings.PUBLIC_BASE_URL
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(host)):
        return url
    return None


def url_for(generation):
    """The callback URL of this generation's task, or None."""
    base = base_url()
    return f"{base}{reverse('kie-callback', args=[generation.callback_token])}" if base else None


def _loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
