"""The Mini App's address for the buttons that open it (the chat's menu button, «Open gallery»).

Telegram opens a Mini App only from an https address, so without an https PUBLIC_BASE_URL there is none and no
button is offered. The page itself is miniapp/'s (/miniapp/); this module only names its URL.
"""

from django.conf import settings
from django.urls import reverse


def miniapp_url():
    """PUBLIC_BASE_URL + /miniapp/, or None when the public address is not https."""
    base = settings.PUBLIC_BASE_URL
    if not base.startswith("https://"):
        return None
    return base + reverse("miniapp")
