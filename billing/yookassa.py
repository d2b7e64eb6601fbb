"""YooKassa through its official SDK, with the timeouts and error handling the SDK lacks.

The SDK is synchronous, sets no socket timeout (a dead endpoint blocks forever) and, on a network
error, raises `AttributeError: 'NoneType' object has no attribute 'status_code'`. Here every request
has a timeout, and a network failure is `ResultUnknown`: repeat with the same Idempotence-Key.
"""

import functools
import logging
import time
from decimal import Decimal

import requests
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from yookassa import Configuration
from yookassa import Payment as SdkPayment
from yookassa import Refund as SdkRefund
from yookassa.client import ApiClient
from yookassa.domain.exceptions import ApiError

from messaging.texts import credits

log = logging.getLogger(__name__)

CREATE_TRIES = 3
# Seconds between tries: a dropped connection or a 5xx is often over a moment later. Creates run in a
# worker task (never in a webhook), so the pauses hold up no one; with YOOKASSA_TIMEOUT_SECONDS each
# try they stay well inside the cluster's task timeout.
CREATE_PAUSES = (1, 3)


class ResultUnknown(Exception):
    """The request may or may not have reached YooKassa: ask again with the same key, or look it up."""


class Refused(Exception):
    """YooKassa answered with an error (bad request, credentials, …)."""


class NotFound(Refused):
    """YooKassa has no such object (404): not a payment or refund of this shop."""


class _TimedClient(ApiClient):
    def get_session(self):
        session = super().get_session()
        session.request = functools.partial(session.request, timeout=(5, settings.YOOKASSA_TIMEOUT_SECONDS))
        return session


class _Payments(SdkPayment):
    def __init__(self):
        self.client = _TimedClient()


class _Refunds(SdkRefund):
    def __init__(self):
        self.client = _TimedClient()


def _configure():
    # The SDK's configuration is global, and configure() resets api_url unless it is passed again.
    # No retries of its own (max_attempts counts *re*-sends): create_payment retries with the same key.
    Configuration.configure(
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY, api_url=settings.YOOKASSA_API_URL, max_attempts=0
    )


def _call(func, *args):
    _configure()
    try:
        return dict(func(*args))
    except AttributeError as error:
        if "status_code" not in str(error):
            raise
        raise ResultUnknown("YooKassa unreachable") from None
    except requests.RequestException as error:
        raise ResultUnknown(f"YooKassa unreachable: {type(error).__name__}") from None
    except ApiError as error:
        if getattr(error, "HTTP_CODE", 0) >= 500:
            raise ResultUnknown(f"YooKassa answered {error.HTTP_CODE}") from None
        if getattr(error, "HTTP_CODE", 0) == 404:
            raise NotFound(str(error)[:500]) from None
        raise Refused(str(error)[:500]) from None


def create_payment(payment, *, email=""):
    """Create the YooKassa payment for our Payment row; our row's id is the Idempotence-Key."""
    body = {
        "amount": {"value": f"{payment.amount:.2f}", "currency": "RUB"},
        "capture": True,
        "confirmation": {
            "type": "redirect",
            "return_url": settings.YOOKASSA_RETURN_URL or f"{settings.PUBLIC_BASE_URL}/billing/return/",
        },
        "description": _description(payment),
        "metadata": {"payment_id": str(payment.pk), "telegram_id": str(payment.user.telegram_id)},
    }
    if settings.YOOKASSA_RECEIPTS:
        body["receipt"] = receipt(payment, email=email)
    for attempt in range(1, CREATE_TRIES + 1):
        try:
            return _call(_Payments.create, body, str(payment.pk))
        except ResultUnknown:
            if attempt == CREATE_TRIES:
                raise
            pause = CREATE_PAUSES[min(attempt, len(CREATE_PAUSES)) - 1]
            log.warning(
                "payment %s: create result unknown (try %s), asking again with the same key in %s s",
                payment.pk,
                attempt,
                pause,
            )
            time.sleep(pause)


def receipt(payment, *, email):
    """A 54-FZ receipt: one line, the credit pack, VAT and modes from settings."""
    return {
        "customer": {"email": email},
        "items": [
            {
                "description": _description(payment),
                "quantity": "1.00",
                "amount": {"value": f"{payment.amount:.2f}", "currency": "RUB"},
                "vat_code": settings.YOOKASSA_VAT_CODE,
                "payment_mode": settings.YOOKASSA_PAYMENT_MODE,
                "payment_subject": settings.YOOKASSA_PAYMENT_SUBJECT,
            }
        ],
    }


def fetch_payment(provider_payment_id):
    return _call(_Payments.find_one, provider_payment_id)


def fetch_refund(provider_refund_id):
    return _call(_Refunds.find_one, provider_refund_id)


def amount_of(answer):
    amount = answer.get("amount") or {}
    return Decimal(str(amount.get("value", "0"))), amount.get("currency", "")


def _description(payment):
    # The payment page and the 54-FZ receipt, which goes to the tax service, are in Russian whatever the
    # buyer's Telegram language.
    with translation.override("ru"):
        return (_("NeuroCards: %(credits)s") % {"credits": credits(payment.credits)})[:128]
