"""Alerts to operators (ADMIN_CHAT_IDS) through the Bot API, once per incident.

An incident is a key (`kie:billing`, `queue:stuck` …): an Alert row is opened by the first alert and
closed by `resolve`, so a condition seen on every pass of a watchdog is told once.
"""

import logging

from django.conf import settings

from messaging import sender, texts
from neurocards.models import Alert

log = logging.getLogger(__name__)


def alert_operators(key, text):
    """Tell ADMIN_CHAT_IDS once per incident; `resolve(key)` ends the incident."""
    _, opened = Alert.objects.get_or_create(key=key, defaults={"text": text[:2000]})
    if not opened:
        return False
    log.error("alert %s: %s", key, text)
    for chat_id in settings.ADMIN_CHAT_IDS:
        try:
            sender.send_message(chat_id, f"⚠️ {texts.e(text)}")
        except sender.SendFailed:
            log.error("alert %s: not delivered to %s", key, chat_id)
    return True


def resolve(*keys):
    Alert.objects.filter(key__in=keys).delete()
