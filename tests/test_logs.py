"""Logs: one line per event naming ids, JSON when asked, and never a secret or what a seller wrote."""

import json
import logging
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

from billing.models import Payment
from generations import pipeline
from generations.models import Generation
from neurocards.lib.logs import JsonFormatter, RedactSecrets
from tests.factories import product_photo
from tests.test_configuration import manage

YOOKASSA_IP = "185.71.76.5"
DESCRIPTION = "Кружка «Полярная сова», ручная роспись, 350 мл"
WISHES = "Заснеженный лес на закате, медленная камера"
EMAIL = "anna.seller@example.com"
BOT_TOKEN = "7301234567:AAHk-Wq9_ZxLrT3vNf8YpQeM2sUcJbDoG1i"


class Capture(logging.Handler):
    """Every record, formatted both ways as the console would write it, before any filter touches it."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []
        self.formatters = (logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"), JsonFormatter())

    def emit(self, record):
        self.lines.extend(formatter.format(record) for formatter in self.formatters)


@pytest.fixture
def captured():
    root = logging.getLogger()
    capture, level = Capture(), root.level
    root.handlers.insert(0, capture)  # ahead of the console handler, whose filter would scrub the records
    root.setLevel(logging.DEBUG)
    yield capture.lines
    root.removeHandler(capture)
    root.setLevel(level)


def formatted(message, *args, exc_info=None, formatter=None):
    record = logging.LogRecord("neurocards.test", logging.ERROR, __file__, 1, message, args, exc_info)
    RedactSecrets().filter(record)
    return (formatter or logging.Formatter("%(message)s")).format(record)


def test_it_logs_no_secret_and_nothing_a_seller_wrote_through_a_whole_flow(chat, enqueued, shop, settings, captured):
    settings.YOOKASSA_RECEIPTS = True
    shop.yookassa.receipts_required = True
    photo_id = shop.telegram.add_file(product_photo(), file_path="photos/owl-mug.jpg")

    # The seller buys credits with YooKassa, giving an email for the receipt …
    chat.send("/start")
    chat.tap(f"buy:{shop.pack.pk}:yk")
    chat.send(EMAIL)
    payment = Payment.objects.get()
    shop.yookassa.succeed(payment.provider_payment_id)
    body = json.dumps(shop.yookassa.notification("payment.succeeded", payment.provider_payment_id))
    response = Client().post(
        "/billing/yookassa/webhook/", body, content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )
    assert response.status_code == 200 and "начислено 100" in chat.replies()[-1]

    # … orders a video, which a worker makes and sends.
    chat.tap("menu:video")
    chat.send_photo(file_id=photo_id)
    chat.send(DESCRIPTION)
    chat.tap("flow:tpl:ugc")
    chat.send(WISHES)
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")
    (generation_id,) = enqueued  # the bot stops at the queue; here the worker's part
    assert pipeline.submit(generation_id=generation_id) == "processing"
    assert pipeline.poll(Generation.objects.get(pk=generation_id)) == "success"
    generation = Generation.objects.get(pk=generation_id)
    assert generation.status == "completed" and DESCRIPTION in generation.final_prompt

    secrets = {
        "the bot token": django_settings.TELEGRAM_BOT_TOKEN,
        "the webhook secret": django_settings.TELEGRAM_WEBHOOK_SECRET,
        **{f"KIE key {key}": key for key in django_settings.KIE_API_KEYS},
        "the OpenAI key": django_settings.OPENAI_API_KEY,
        "the YooKassa secret key": django_settings.YOOKASSA_SECRET_KEY,
        "the description": DESCRIPTION,
        "the wishes": WISHES,
        "the prompt": generation.final_prompt,
        "the email": EMAIL,
    }
    assert all(secrets.values()) and len(captured) > 20
    assert any(f"generation {generation_id}: completed" in line for line in captured)
    leaks = {what: line for what, secret in secrets.items() for line in captured if secret in line}
    assert leaks == {}


def test_it_scrubs_bot_tokens_and_authorization_headers():
    assert formatted("GET https://api.telegram.org/bot%s/getMe", BOT_TOKEN) == (
        "GET https://api.telegram.org/bot[redacted]/getMe"
    )
    assert formatted("headers: {'Authorization': 'Bearer sk-live-0123456789abcdef'}") == (
        "headers: {'Authorization': 'Bearer [redacted]'}"
    )
    assert formatted("Authorization: Basic MTIzNDU2OnRlc3Rfc2VjcmV0X2tleQ==") == "Authorization: Basic [redacted]"
    assert formatted("a basic plan, bearer of news") == "a basic plan, bearer of news"


def test_it_scrubs_the_configured_secrets_and_tracebacks_too(settings):
    settings.YOOKASSA_SECRET_KEY = "live_Zq81MxwPuUOXjWs7"
    try:
        raise ValueError(f"https://api.telegram.org/file/bot{BOT_TOKEN}/photos/1.jpg with live_Zq81MxwPuUOXjWs7")
    except ValueError:
        line = formatted("download failed", exc_info=sys.exc_info(), formatter=logging.Formatter())

    assert "ValueError" in line and BOT_TOKEN not in line and "live_Zq81MxwPuUOXjWs7" not in line


def test_it_writes_one_json_object_a_line_with_the_ids_it_names():
    try:
        raise RuntimeError("provider down")
    except RuntimeError:
        line = formatted(
            "generation %s: submit failed for user %s", 42, 7, exc_info=sys.exc_info(), formatter=JsonFormatter()
        )

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "generation 42: submit failed for user 7"
    assert (entry["generation_id"], entry["user_id"], entry["level"]) == ("42", "7", "ERROR")
    assert "RuntimeError: provider down" in entry["exception"]


def test_it_keeps_the_sdk_and_http_client_loggers_quiet_even_at_debug():
    names = ("yookassa", "httpx", "httpcore", "telegram", "django.db.backends")
    code = f"import logging; print([logging.getLogger(name).getEffectiveLevel() for name in {names!r}])"

    run = manage("shell", "-c", code, DJANGO_DEBUG="true", LOG_LEVEL="DEBUG")

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == str([logging.WARNING] * 3 + [logging.INFO] * 2)


def test_it_refuses_an_unknown_log_format():
    run = manage("check", DJANGO_DEBUG="true", LOG_FORMAT="xml")

    assert run.returncode != 0 and "LOG_FORMAT must be plain or json" in run.stderr


def test_it_writes_json_lines_when_asked():
    code = "import logging; logging.getLogger('generations.pipeline').warning('generation %s: failed', 5)"

    run = manage("shell", "-c", code, DJANGO_DEBUG="true", LOG_FORMAT="json")

    assert run.returncode == 0, run.stderr
    entry = json.loads(run.stderr.strip().splitlines()[-1])
    assert (entry["logger"], entry["message"], entry["generation_id"]) == (
        "generations.pipeline",
        "generation 5: failed",
        "5",
    )
