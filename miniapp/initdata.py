"""Telegram's signed `initData`: the only thing that tells the Mini App's API who is asking.

As documented (core.telegram.org/bots/webapps, "Validating data received via the Mini App"): the raw
string is a URL-encoded query string; the data-check-string is every field but `hash`, `key=value` with the
values decoded, sorted by key and joined by "\\n"; the secret key is HMAC-SHA256 of the bot token keyed by
the constant "WebAppData"; the data is genuine when the hex HMAC-SHA256 of the data-check-string under that
key equals `hash`. Compared in constant time. `auth_date` (unix seconds) bounds how old a signed string may
be: a leaked one stops working after `max_age`. docs/miniapp.md has the whole model.
"""

import hashlib
import hmac
import json
import re
import time
from urllib.parse import parse_qsl

MAX_LENGTH = 8192  # Telegram's strings are a few hundred bytes; anything this long is junk
FUTURE_SKEW = 60  # seconds a client's clock may run ahead of ours
_HASH = re.compile(r"[0-9a-f]{64}")


class InvalidInitData(Exception):
    """Missing, malformed, forged or stale: the caller answers 401, whatever the reason (logged, never shown)."""


def secret_key(bot_token):
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign(fields, bot_token):
    """The `hash` Telegram would put on these fields (for tests and the local stub of the page)."""
    check_string = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return hmac.new(secret_key(bot_token), check_string.encode(), hashlib.sha256).hexdigest()


def validate(raw, *, bot_token, max_age, now=None):
    """The fields of a genuine, fresh initData, with `user` decoded to a dict; raises InvalidInitData.

    The user is taken from here only: `id` a positive integer, the rest strings as Telegram sends them.
    """
    if not bot_token:
        raise InvalidInitData("no bot token configured")
    if not isinstance(raw, str) or not raw or len(raw) > MAX_LENGTH:
        raise InvalidInitData("missing or too long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInitData("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("a field given twice")
    received = fields.pop("hash", "")
    if not _HASH.fullmatch(received):
        raise InvalidInitData("no hash")
    if not hmac.compare_digest(sign(fields, bot_token), received):
        raise InvalidInitData("hash does not match")
    # Signed by Telegram from here on; still checked, as a bug on either side must not become a 500.
    auth_date = fields.get("auth_date", "")
    if not re.fullmatch(r"[0-9]{1,12}", auth_date):
        raise InvalidInitData("no auth_date")
    now = time.time() if now is None else now
    age = now - int(auth_date)
    if age > max_age:
        raise InvalidInitData("too old")
    if age < -FUTURE_SKEW:
        raise InvalidInitData("from the future")
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise InvalidInitData("no user") from None
    if not isinstance(user, dict) or type(user.get("id")) is not int or user["id"] <= 0:
        raise InvalidInitData("no user id")
    for name in ("first_name", "last_name", "username", "language_code"):
        if not isinstance(user.get(name, ""), str):
            raise InvalidInitData(f"user {name} is not a string")
    fields["user"] = user
    fields["auth_date"] = int(auth_date)
    return fields
