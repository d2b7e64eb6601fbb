"""Log lines for operators: one line per event, plain or JSON (LOG_FORMAT), secrets scrubbed as a last resort.

Log calls name ids (update, generation, payment, user), never what a user wrote, a prompt, an email or a
credential. The filter is the safety net for what slips through anyway: a library's exception whose
text holds a URL with the bot token, an Authorization header in someone's debug line.
"""

import json
import logging
import re
from datetime import UTC, datetime

from django.conf import settings

REDACTED = "[redacted]"
PATTERNS = [
    re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}"),  # a Telegram bot token
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(?<=\bbasic )[A-Za-z0-9+/]{8,}={0,2}"),
]
# The configured secrets themselves, whatever they look like (shorter values would blank out ordinary words).
SECRET_SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "KIE_API_KEYS",
    "KIE_WEBHOOK_HMAC_KEY",
    "OPENAI_API_KEY",
    "YOOKASSA_SECRET_KEY",
    "METRICS_TOKEN",
    "SECRET_KEY",
)
MIN_SECRET_LENGTH = 8
# "generation 42: …", "payment 1b2c…: …" → JSON fields, so lines can be found by id without parsing text.
ID_IN_MESSAGE = re.compile(r"\b(update|generation|payment|order|user|chat) (\d+|[0-9a-f]{8}-[0-9a-f-]{27})\b")
ID_FIELDS = ("update_id", "generation_id", "payment_id", "order_id", "user_id", "chat_id")


def redact(text):
    for secret in _configured_secrets():
        text = text.replace(secret, REDACTED)
    for pattern in PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    """On the handler: every record it writes, from any logger, message and traceback alike."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a broken log call is logging's to report, not ours to raise)
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids it names, and the traceback if any."""

    def format(self, record):
        message = record.getMessage()
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for kind, value in ID_IN_MESSAGE.findall(message):
            entry.setdefault(f"{kind}_id", value)
        for field in ID_FIELDS:  # passed with extra={...}: they win over what the text says
            if getattr(record, field, None) is not None:
                entry[field] = getattr(record, field)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _configured_secrets():
    try:
        values = []
        for name in SECRET_SETTINGS:
            value = getattr(settings, name, "")
            values.extend(value if isinstance(value, (list, tuple)) else [value])
    except Exception:  # noqa: BLE001  (settings not loadable yet: the patterns still apply)
        return []
    return [value for value in values if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH]
