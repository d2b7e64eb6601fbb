"""Alerts to operators (ADMIN_CHAT_IDS) through the Bot API, once per incident.

An incident is a key (`kie:billing`, `workers:down` …): an Alert row is opened by the first alert and
closed by `resolve` (quietly) or `recover` (with a "back to normal" message), so a condition seen on
every pass of a watcher is told once.

Delivery is part of the incident: an alert no chat took (Telegram down) gives its row back, so the next
pass that sees the condition opens it again and sends it then. A "back" message that could not be sent
is kept as a row `<key>~back` and sent by `send_pending()` on a later pass.
"""

import contextlib
import contextvars
import logging

from django.conf import settings

from messaging import sender, texts
from neurocards.models import Alert

log = logging.getLogger(__name__)

BACK = "~back"  # suffix of the row that holds a "back to normal" message still to be sent
_down = contextvars.ContextVar("alerts_telegram_down", default=None)  # [bool] inside until_telegram_fails()


def alert_operators(key, text):
    """Tell ADMIN_CHAT_IDS once per incident; True when this call opened (and delivered) it."""
    alert, opened = Alert.objects.get_or_create(key=key, defaults={"text": text[:2000]})
    if not opened:
        return False
    log.error("alert %s opened", key)
    if not _deliver(key, f"⚠️ {texts.e(text)}"):
        # Only this row, as it was opened here: a later pass opens it again and tells it then.
        Alert.objects.filter(key=key, opened_at=alert.opened_at).delete()
        return False
    return True


def resolve(*keys):
    """End incidents without a message (the condition's own message says it is over, or none is needed)."""
    Alert.objects.filter(key__in=keys).delete()


def recover(key, text):
    """End an open incident and tell operators it is over: exactly once, and only if one was open.

    The row is deleted before the message goes, so of two watchers at once only the one whose DELETE
    took the row sends. Returns True when this call ended an incident.
    """
    deleted, _ = Alert.objects.filter(key=key).delete()
    if not deleted:
        return False
    log.info("alert %s resolved", key)
    if not _deliver(key, f"✅ {texts.e(text)}"):
        Alert.objects.get_or_create(key=f"{key}{BACK}"[:64], defaults={"text": text[:2000]})
    return True


def send_pending():
    """Send again the "back" messages Telegram did not take; each once (claimed by deleting its row)."""
    sent = 0
    for key, text in Alert.objects.filter(key__endswith=BACK).values_list("key", "text"):
        claimed, _ = Alert.objects.filter(key=key).delete()
        if not claimed:
            continue
        if _deliver(key, f"✅ {texts.e(text)}"):
            sent += 1
        else:
            Alert.objects.get_or_create(key=key, defaults={"text": text})
    return sent


def open_incidents():
    """Incidents open now (not the "back" messages waiting to be sent)."""
    return Alert.objects.exclude(key__endswith=BACK)


@contextlib.contextmanager
def until_telegram_fails():
    """Within it, once a message was not taken the rest are not tried (left for the next pass): a watcher
    run while Telegram is down then costs one sender's retries, not one per alert and chat."""
    token = _down.set([False])
    try:
        yield
    finally:
        _down.reset(token)


def _deliver(key, html):
    """True when at least one chat took it (or there is no chat to tell): a refused chat is not retried."""
    down = _down.get()
    if down and down[0]:
        return False
    delivered = not settings.ADMIN_CHAT_IDS
    for chat_id in settings.ADMIN_CHAT_IDS:
        try:
            sender.send_message(chat_id, html)
            delivered = True
        except sender.SendFailed:
            log.error("alert %s: not delivered to %s", key, chat_id)
            if down:
                down[0] = True
                return delivered
    return delivered
