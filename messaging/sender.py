"""The one way workers talk to Telegram: the Bot API over a pooled HTTP client, within Telegram's limits.

Every message waits for a shared slot (about 1 a second per chat and under 30 a second overall, across
all processes: Redis when configured, the database otherwise), honours a 429's retry_after, and stops
for good at a user who blocked the bot.
"""

import functools
import json
import logging
import time

import httpx
from django.conf import settings
from django.utils import timezone

from accounts.models import TelegramUser
from neurocards.lib.leases import reserve_slot
from neurocards.metrics import counters

log = logging.getLogger(__name__)

MAX_TRIES = 6
MAX_LATENESS = 0.03  # seconds
MAX_RESERVATIONS = 3  # an overloaded process still sends, if late, rather than waste slot after slot
NETWORK_BACKOFF = (1, 2, 4, 8, 16)
MAX_FILE_BYTES = 20 * 1024 * 1024  # getFile's download limit
# The longest 429 retry_after a worker sleeps through. A longer one (a flood ban) gives up as SendFailed: a
# task asleep for minutes holds a worker and outlives the cluster's timeout, while the caller's own retry
# (delivery backoff, a broadcast's resume) tries again later without holding anything.
MAX_RETRY_AFTER = 60  # seconds


class SendFailed(Exception):
    """Telegram did not take the message after every try; the caller may try again later."""


class FileError(Exception):
    """A user's file we could not download. `permanent`: retrying won't help, the user must send it again;
    otherwise Telegram or the network failed and a later try may work. Callers translate it into their own
    errors (the pipeline into a ProviderError of the right class)."""

    def __init__(self, message, *, permanent):
        super().__init__(message)
        self.permanent = permanent


class FileTooBig(FileError):
    """A user's file over what we download (Telegram's getFile serves at most 20 MB anyway)."""

    def __init__(self, message):
        super().__init__(message, permanent=True)


@functools.cache
def _client():
    return httpx.Client(
        base_url=f"{settings.TELEGRAM_API_BASE_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/",
        timeout=httpx.Timeout(60, connect=5),
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
    )


def call(method, *, chat_id, params, files=None):
    """Send one Bot API request to a chat; the `result`, or None when the user blocked the bot or the
    request itself is refused (logged). Raises SendFailed when Telegram stays unreachable."""
    data = _encode(params)
    data["chat_id"] = chat_id
    for attempt in range(MAX_TRIES):
        _wait_for_turn(chat_id)
        try:
            response = _client().post(method, data=data, files=files)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("telegram %s to chat %s: %s", method, chat_id, type(error).__name__)
            time.sleep(NETWORK_BACKOFF[min(attempt, len(NETWORK_BACKOFF) - 1)])
            continue
        if body.get("ok"):
            counters.add(counters.SENDER_STATS["sent"])
            return body.get("result")
        code = body.get("error_code") or response.status_code
        if code == 429:
            counters.add(counters.SENDER_STATS["too_many"])
            retry_after = (body.get("parameters") or {}).get("retry_after", 1)
            log.warning("telegram %s to chat %s: 429, retry after %s s", method, chat_id, retry_after)
            if not isinstance(retry_after, (int, float)) or not 0 <= retry_after <= MAX_RETRY_AFTER:
                raise SendFailed(f"{method} to chat {chat_id}: 429 with retry_after {retry_after!r} s, over the cap")
            time.sleep(float(retry_after))
        elif code == 403:
            mark_blocked(chat_id)
            return None
        elif 400 <= code < 500:
            log.error("telegram %s to chat %s refused: %s", method, chat_id, body.get("description", "")[:200])
            return None
        else:
            time.sleep(NETWORK_BACKOFF[min(attempt, len(NETWORK_BACKOFF) - 1)])
    raise SendFailed(f"{method} to chat {chat_id} failed {MAX_TRIES} times")


def api(method, params):
    """A Bot API call that sends no message (a Stars refund, webhook info): no chat slot; raises SendFailed."""
    try:
        body = _client().post(method, data=_encode(params)).json()
    except (httpx.HTTPError, ValueError) as error:
        raise SendFailed(f"{method}: {type(error).__name__}") from None
    if not body.get("ok"):
        raise SendFailed(f"{method}: {body.get('description', '')[:200]}")
    return body.get("result")


def create_invoice_link(*, title, description, payload, label, amount):
    """A Stars invoice as a link (createInvoiceLink) that a Mini App opens with openInvoice: currency XTR, no
    provider token, exactly one price in whole Stars, as the chat's invoices. Raises SendFailed."""
    prices = [{"label": label, "amount": amount}]
    params = {"title": title, "description": description, "payload": payload, "currency": "XTR", "prices": prices}
    return api("createInvoiceLink", params)


def send_message(chat_id, text, *, markup=None):
    return call(
        "sendMessage", chat_id=chat_id, params={"text": text, "parse_mode": "HTML", "reply_markup": _markup(markup)}
    )


def send_file(method, chat_id, *, field, content, filename, caption="", markup=None):
    """sendPhoto / sendVideo / sendDocument by upload."""
    params = {"caption": caption, "parse_mode": "HTML", "reply_markup": _markup(markup)}
    return call(method, chat_id=chat_id, params=params, files={field: (filename, content)})


def send_media_group(chat_id, *, files, caption="", media_type="document"):
    """sendMediaGroup by upload: 2–10 files [(filename, content)] as one album, `caption` under the last one.

    The files are parts of one multipart request, each named by an `attach://` reference in `media`.
    Telegram answers with the album's Messages (a list). An album takes no reply_markup, and documents
    group only with documents (photos and videos only with each other). Limits, retries and a blocked
    user are handled as for any message: the album takes one slot, as it is one request."""
    if not 2 <= len(files) <= 10:
        raise ValueError(f"an album holds 2 to 10 files, not {len(files)}")
    media = [{"type": media_type, "media": f"attach://file{index}"} for index in range(len(files))]
    if caption:
        media[-1].update(caption=caption, parse_mode="HTML")
    uploads = {f"file{index}": (filename, content) for index, (filename, content) in enumerate(files)}
    return call("sendMediaGroup", chat_id=chat_id, params={"media": media}, files=uploads)


def fetch_file(file_id, *, max_bytes=MAX_FILE_BYTES):
    """Download a user's file ourselves: its link carries the bot token and is never handed on.

    Read as a stream and dropped past `max_bytes` (FileTooBig): neither a missing `file_size` nor one
    that lies makes us hold more than that in memory.
    """
    try:
        response = _client().post("getFile", data={"file_id": file_id})
        body = response.json()
        if not body.get("ok"):
            description = str(body.get("description", ""))[:200]
            if "too big" in description.lower():
                raise FileTooBig(f"getFile refused: {description}")
            # An unknown or too big file won't get better by retrying: the user must send it again.
            raise FileError(f"getFile refused: {description}", permanent=response.status_code == 400)
        result = body["result"]
        if (result.get("file_size") or 0) > max_bytes:
            raise FileTooBig(f"file of {result['file_size']} bytes")
        url = f"{settings.TELEGRAM_API_BASE_URL}/file/bot{settings.TELEGRAM_BOT_TOKEN}/{result['file_path']}"
        with _client().stream("GET", url) as download:
            download.raise_for_status()
            content = bytearray()
            for chunk in download.iter_bytes():
                content += chunk
                if len(content) > max_bytes:
                    raise FileTooBig(f"download past {max_bytes} bytes")
        return bytes(content)
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise FileError(f"photo download from Telegram failed: {type(error).__name__}", permanent=False) from None


def mark_blocked(chat_id):
    log.info("chat %s blocked the bot: no more messages", chat_id)
    TelegramUser.objects.filter(telegram_id=chat_id, bot_blocked_at__isnull=True).update(bot_blocked_at=timezone.now())


def _encode(params):
    # As the Bot API takes form fields: objects JSON-encoded, empty values left out.
    return {
        key: json.dumps(value) if isinstance(value, (dict, list)) else value
        for key, value in params.items()
        if value is not None
    }


def _markup(markup):
    return markup.to_dict() if hasattr(markup, "to_dict") else markup


def _wait_for_turn(chat_id):
    """Sleep until this message's shared slot. A message that wakes too late gives its slot up and takes
    a new one: late departures bunched with punctual ones are what trips Telegram's 429."""
    for _ in range(MAX_RESERVATIONS):
        at = max(
            reserve_slot("telegram", 1 / settings.TELEGRAM_MESSAGES_PER_SECOND),
            reserve_slot(f"chat:{chat_id}", settings.TELEGRAM_CHAT_INTERVAL_SECONDS),
        )
        pause = at - time.time()
        if pause > 0:
            time.sleep(pause)
        if time.time() - at <= MAX_LATENESS:
            return
