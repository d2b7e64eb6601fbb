"""The YooKassa API's rules as the fake enforces them: amounts, texts, receipts, metadata, its error answers."""

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus

from tests.fakes import http_base

AMOUNT_VALUE = re.compile(r"\d{1,15}\.\d{2}")
# The SDK sends quantity as str(Decimal(float)), i.e. "1.0"; the API takes any decimal string or number.
QUANTITY = re.compile(r"\d{1,8}(\.\d{1,6})?")
CENTS = Decimal("0.01")
COMMISSION = Decimal("0.035")
GATEWAY_ID = "100500"
MAX_DESCRIPTION = 128
MAX_METADATA_KEYS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 32, 512
ERRORS = {  # status: (code, default description)
    400: ("invalid_request", "Invalid request"),
    401: ("invalid_credentials", "Basic authentication failed"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Object not found"),
    429: ("too_many_requests", "Too many requests"),
    500: ("internal_server_error", "Internal server error"),
}
METHOD_TITLES = {"bank_card": "Bank card *4444", "sbp": "СБП", "yoo_money": "YooMoney wallet 410011758831136"}


class YooKassaError(ValueError):
    def __init__(self, status, description=None, parameter=None, code=None):
        self.status = int(status)
        default_code, default_description = ERRORS.get(self.status, ("internal_server_error", "Error"))
        self.code, self.description = code or default_code, description or default_description
        self.parameter = parameter
        super().__init__(f"{self.status} {self.code}: {self.description}")

    def body(self):
        body = {"type": "error", "id": str(uuid.uuid4()), "code": self.code, "description": self.description}
        if self.parameter:
            body["parameter"] = self.parameter
        return body


def invalid(description, parameter=None):
    return YooKassaError(HTTPStatus.BAD_REQUEST, description, parameter)


class _Dropped(BaseException):
    """Raised by handle() to close the connection unanswered (past the base server's `except Exception`)."""


class _Handler(http_base._Handler):
    def _serve(self):
        try:
            super()._serve()
        except _Dropped:
            self.close_connection = True


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    body: object  # the parsed JSON, or None
    status: int = 0  # 0: not answered (dropped, or still hanging)
    at: float = 0.0
    raw: bytes = field(default=b"", repr=False)

    def header(self, name):
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    @property
    def idempotence_key(self):
        return self.header("Idempotence-Key")


@dataclass
class _Failure:
    error: YooKassaError
    times: int
    path_prefix: str


# -- request checks ------------------------------------------------------------------------------------


def check_amount(amount, where):
    """The amount's value as a Decimal, or a 400 naming `where`."""
    if not isinstance(amount, dict):
        raise invalid(f"{where} is missing or illegal", where)
    value = amount.get("value")
    if not isinstance(value, str) or not AMOUNT_VALUE.fullmatch(value) or Decimal(value) <= 0:
        raise invalid(f'{where}.value must be a string with two decimals above zero, like "490.00"', f"{where}.value")
    if amount.get("currency") != "RUB":
        raise invalid(f"{where}.currency must be RUB", f"{where}.currency")
    return Decimal(value)


def check_text(value, where, limit, *, required=False):
    if value is None and not required:
        return
    if not isinstance(value, str) or not value or len(value) > limit:
        raise invalid(f"{where} must be a non-empty string of at most {limit} characters", where)


def check_payment(body, receipts_required):
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    total = check_amount(body.get("amount"), "amount")
    check_confirmation(body.get("confirmation"))
    if not isinstance(body.get("capture", False), bool):
        raise invalid("capture must be true or false", "capture")
    check_text(body.get("description"), "description", MAX_DESCRIPTION)
    check_metadata(body.get("metadata"))
    if body.get("receipt") is not None:
        check_receipt(body["receipt"], total)
    elif receipts_required:
        raise invalid("Receipt is missing or illegal", "receipt")


def check_confirmation(confirmation):
    # Only redirect exists here: without a confirmation the buyer would get no link to pay by.
    if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
        raise invalid('confirmation must be {"type": "redirect", "return_url": ...}', "confirmation.type")
    return_url = confirmation.get("return_url")
    if not isinstance(return_url, str) or not return_url.startswith(("http://", "https://")):
        raise invalid("confirmation.return_url must be an http(s) URL", "confirmation.return_url")


def check_metadata(metadata):
    if metadata is None:
        return
    if not isinstance(metadata, dict) or len(metadata) > MAX_METADATA_KEYS:
        raise invalid(f"metadata must be an object of at most {MAX_METADATA_KEYS} keys", "metadata")
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY or not isinstance(value, str) or len(value) > MAX_METADATA_VALUE:
            raise invalid(
                f"metadata.{key}: keys up to {MAX_METADATA_KEY} and string values up to "
                f"{MAX_METADATA_VALUE} characters",
                f"metadata.{key}",
            )


def check_receipt(receipt, total):
    customer = receipt.get("customer") if isinstance(receipt, dict) else None
    if not isinstance(customer, dict) or not (customer.get("email") or customer.get("phone")):
        raise invalid("Receipt is missing or illegal: receipt.customer needs an email or a phone", "receipt.customer")
    items = receipt.get("items")
    if not isinstance(items, list) or not items:
        raise invalid("Receipt is missing or illegal: receipt.items is empty", "receipt.items")
    items_total = sum(check_item(f"receipt.items[{index}]", item) for index, item in enumerate(items))
    if items_total != total:
        raise invalid(
            f"Receipt is missing or illegal: the items add up to {items_total}, the payment is {total}", "receipt.items"
        )


def check_item(where, item):
    """The item's amount × quantity, or a 400."""
    if not isinstance(item, dict):
        raise invalid(f"{where} must be an object", where)
    check_text(item.get("description"), f"{where}.description", MAX_DESCRIPTION, required=True)
    quantity = check_quantity(item.get("quantity"), f"{where}.quantity")
    value = check_amount(item.get("amount"), f"{where}.amount")
    vat_code = item.get("vat_code")
    if not isinstance(vat_code, int) or isinstance(vat_code, bool) or not 1 <= vat_code <= 12:
        raise invalid(f"{where}.vat_code must be an integer from 1 to 12", f"{where}.vat_code")
    for name in ("payment_mode", "payment_subject"):
        check_text(item.get(name), f"{where}.{name}", 64, required=True)
    return (value * quantity).quantize(CENTS, ROUND_HALF_UP)


def check_quantity(quantity, where):
    if isinstance(quantity, int | float) and not isinstance(quantity, bool):
        quantity = str(quantity)
    if not isinstance(quantity, str) or not QUANTITY.fullmatch(quantity) or Decimal(quantity) <= 0:
        raise invalid(f'{where} must be a decimal above zero, like "1.00"', where)
    return Decimal(quantity)


# -- objects -----------------------------------------------------------------------------------------------


def new_id(middle):
    """An id shaped like YooKassa's: 8 hex, a fixed-looking middle, 12 hex (36 characters, as the SDK checks)."""
    return f"{secrets.token_hex(4)}-{middle}{secrets.choice('89ab')}000-{secrets.token_hex(6)}"


def timestamp(offset=timedelta()):
    moment = datetime.now(UTC) + offset
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def money(value, currency="RUB"):
    return {"value": str(Decimal(value).quantize(CENTS, ROUND_HALF_UP)), "currency": currency}


def payment_method(method_type, payment_id):
    title = METHOD_TITLES.get(method_type, method_type)
    method = {"type": method_type, "id": payment_id, "saved": False, "title": title}
    if method_type == "bank_card":
        method["card"] = {
            "first6": "555555",
            "last4": "4444",
            "expiry_month": "12",
            "expiry_year": "2030",
            "card_type": "MasterCard",
            "issuer_country": "RU",
        }
    return method
