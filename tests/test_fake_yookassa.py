"""The YooKassa fake, driven by the official SDK (as the product will drive it) and by plain httpx."""

import functools
import re
from pathlib import Path

import httpx
import pytest
from yookassa import Configuration, Payment
from yookassa.client import ApiClient
from yookassa.domain.exceptions import (
    BadRequestError,
    NotFoundError,
)

from tests.fakes.yookassa import FakeYooKassa

REPO = Path(__file__).resolve().parent.parent
YOOKASSA_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DROPPED = "'NoneType' object has no attribute 'status_code'"
SDK_CONFIGURATION = ("account_id", "secret_key", "auth_token", "api_url", "timeout", "max_attempts", "verify")


@pytest.fixture(scope="module")
def server():
    with FakeYooKassa() as fake:
        yield fake


@pytest.fixture
def fake(server, monkeypatch):
    """The module's fake, reset, with the SDK's global configuration pointed at it (and restored afterwards)."""
    for name in SDK_CONFIGURATION:
        monkeypatch.setattr(Configuration, name, getattr(Configuration, name))
    server.reset()
    configure(server)
    yield server
    server.reset()


@pytest.fixture
def api(fake):
    """Plain httpx, for what the SDK cannot send (no key, junk bodies, other credentials)."""
    with httpx.Client(base_url=fake.api_url, auth=(fake.SHOP_ID, fake.SECRET_KEY), timeout=10) as client:
        yield client


def configure(fake, **options):
    Configuration.configure(fake.shop_id, fake.secret_key, api_url=fake.api_url, **options)


def body(value="490.00", **extra):
    return {
        "amount": {"value": value, "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://t.me/neurocards_bot"},
        "description": "NeuroCards: 50 credits",
        "metadata": {"payment_id": "42", "user_id": "7"},
        **extra,
    }


def receipt(*items, email="buyer@example.com"):
    return {"customer": {"email": email}, "items": list(items) or [item()]}


def item(value="490.00", quantity="1.00", **extra):
    return {
        "description": "50 credits",
        "quantity": quantity,
        "amount": {"value": value, "currency": "RUB"},
        "vat_code": 1,
        "payment_mode": "full_payment",
        "payment_subject": "service",
        **extra,
    }


def create(key="payment-42", **extra):
    return Payment.create(body(**extra), key)


def pay(fake, key="payment-42", **extra):
    """A created payment, succeeded."""
    payment = create(key, **extra)
    fake.succeed(payment.id)
    return payment


def error_of(excinfo):
    return excinfo.value.args[0]


def post(api, payload, key="payment-42"):
    return api.post("/payments", json=payload, headers={"Idempotence-Key": key} if key else {})


def patched_session(*, timeout=None, https_policy=False):
    """A replacement for ApiClient.get_session.

    timeout: the socket timeout the SDK never sets. https_policy: the retrying adapter the SDK mounts for
    https:// only (the real API), mounted for the fake's http:// too.
    """
    original = ApiClient.get_session

    def get_session(client):
        session = original(client)
        if https_policy:
            session.mount("http://", session.adapters["https://"])
        if timeout is not None:
            session.request = functools.partial(session.request, timeout=timeout)
        return session

    return get_session


# -- creating payments -------------------------------------------------------------------------------------


def test_it_creates_a_pending_payment_through_the_sdk(fake):
    payment = create()

    assert YOOKASSA_ID.fullmatch(payment.id) and payment.id in fake.payments
    assert (payment.status, payment.paid, payment.test, payment.refundable) == ("pending", False, True, False)
    assert payment.amount.value == 490 and payment.amount.currency == "RUB"
    assert payment.description == "NeuroCards: 50 credits"
    assert payment.confirmation.confirmation_url == f"{fake.base_url}/checkout/{payment.id}"
    assert payment.confirmation.return_url == "https://t.me/neurocards_bot"
    assert payment.metadata == {"payment_id": "42", "user_id": "7", "cms_name": "yookassa_sdk_python"}
    assert payment.recipient.account_id == fake.SHOP_ID
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", payment.created_at)
    [call] = fake.requests("POST", "/v3/payments")
    assert call.status == 200 and call.idempotence_key == call.headers["Idempotence-Key"] == "payment-42"
    assert call.body["statements"] == [] and call.body["transfers"] == []


def test_it_returns_the_original_payment_for_a_repeated_key_and_body(fake, api):
    first = create()
    again = create()
    raw = post(api, fake.requests("POST")[0].body)

    assert again.id == first.id and raw.status_code == 200 and raw.json()["id"] == first.id
    assert list(fake.payments) == [first.id]


def test_it_refuses_a_repeated_key_with_another_body(fake):
    create()

    with pytest.raises(BadRequestError) as excinfo:
        create(value="990.00")

    assert error_of(excinfo)["code"] == "invalid_request"
    assert error_of(excinfo)["description"] == "Idempotence key duplicated"
    assert len(fake.payments) == 1


def test_it_requires_an_idempotence_key(fake, api):
    answer = post(api, body(), key=None)

    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request"
    assert answer.json()["parameter"] == "Idempotence-Key" and not fake.payments


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"amount": {"value": "490", "currency": "RUB"}}, "amount.value"),
        ({"amount": {"value": 490.0, "currency": "RUB"}}, "amount.value"),
        ({"amount": {"value": "0.00", "currency": "RUB"}}, "amount.value"),
        ({"amount": {"value": "490.00", "currency": "USD"}}, "amount.currency"),
        ({"confirmation": None}, "confirmation.type"),
        ({"confirmation": {"type": "redirect"}}, "confirmation.return_url"),
        ({"capture": "true"}, "capture"),
        ({"description": "x" * 129}, "description"),
        ({"metadata": {f"k{n}": "v" for n in range(17)}}, "metadata"),
        ({"metadata": {"payment_id": 42}}, "metadata.payment_id"),
    ],
)
def test_it_validates_the_payment_body(fake, api, change, parameter):
    answer = post(api, body() | change)

    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["type"] == "error" and error["code"] == "invalid_request" and error["parameter"] == parameter
    assert not fake.payments


# -- receipts --------------------------------------------------------------------------------------------------


def test_it_refuses_a_payment_without_a_receipt_when_receipts_are_required(monkeypatch):
    with FakeYooKassa(receipts_required=True) as strict:
        for name in SDK_CONFIGURATION:
            monkeypatch.setattr(Configuration, name, getattr(Configuration, name))
        configure(strict)

        with pytest.raises(BadRequestError) as excinfo:
            create()
        accepted = create("payment-43", receipt=receipt())

    assert error_of(excinfo)["description"] == "Receipt is missing or illegal"
    assert list(strict.payments) == [accepted.id]


def test_it_accepts_and_records_a_valid_receipt(fake):
    payment = create(value="980.00", receipt=receipt(item("490.00", quantity=2)))

    sent = fake.requests("POST")[0].body["receipt"]
    assert sent["customer"] == {"email": "buyer@example.com"}
    assert sent["items"][0]["quantity"] == "2.0"  # the SDK's own rendering of quantity
    assert fake.payments[payment.id]["receipt_registration"] == "pending"
    assert fake.succeed(payment.id)["receipt_registration"] == "succeeded"


@pytest.mark.parametrize(
    ("the_receipt", "parameter"),
    [
        ({"items": [item()]}, "receipt.customer"),
        (receipt(email=""), "receipt.customer"),
        ({"customer": {"phone": "79001234567"}, "items": []}, "receipt.items"),
        (receipt(item("400.00")), "receipt.items"),
        (receipt(item("245.00"), item("245.00", vat_code=13)), "receipt.items[1].vat_code"),
        (receipt(item(quantity="one")), "receipt.items[0].quantity"),
        (receipt(item(description="x" * 129)), "receipt.items[0].description"),
        (receipt(item(payment_subject=None)), "receipt.items[0].payment_subject"),
        (receipt(item(amount={"value": "490.00"})), "receipt.items[0].amount.currency"),
    ],
)
def test_it_checks_receipts(fake, api, the_receipt, parameter):
    answer = post(api, body(receipt=the_receipt))

    assert answer.status_code == 400 and answer.json()["parameter"] == parameter
    assert answer.json()["description"].startswith(("Receipt is missing or illegal", "receipt.items["))


def test_it_accepts_a_receipt_by_phone_with_items_that_add_up(fake, api):
    two_items = {"customer": {"phone": "79001234567"}, "items": [item("245.00"), item("122.50", quantity="2")]}

    assert post(api, body(receipt=two_items)).status_code == 200


# -- what the buyer and the shop do ---------------------------------------------------------------------------------


def test_it_reports_a_succeeded_payment_through_find_one(fake):
    payment = create()
    fake.succeed(payment.id)

    found = Payment.find_one(payment.id)

    assert (found.status, found.paid, found.refundable) == ("succeeded", True, True)
    assert found.payment_method.type == "bank_card" and found.payment_method.id == payment.id
    assert found.payment_method.title == "Bank card *4444" and found.payment_method.saved is False
    assert found.income_amount.value < found.amount.value and found.captured_at.endswith("Z")


def test_it_leaves_a_payment_without_capture_waiting_for_capture(fake):
    payment = create(capture=False)

    assert fake.succeed(payment.id, method_type="sbp")["status"] == "waiting_for_capture"
    assert Payment.find_one(payment.id).paid is True
    assert fake.succeed(payment.id)["status"] == "succeeded"


def test_it_cancels_a_payment(fake):
    payment = create()
    fake.cancel(payment.id, party="merchant", reason="canceled_by_merchant")

    found = Payment.find_one(payment.id)

    assert (found.status, found.paid) == ("canceled", False)
    assert found.cancellation_details.party == "merchant"
    assert found.cancellation_details.reason == "canceled_by_merchant"
    with pytest.raises(ValueError):
        fake.succeed(payment.id)


def test_it_answers_what_tamper_says(fake):
    payment = pay(fake)

    fake.tamper(
        payment.id, amount={"value": "1.00", "currency": "RUB"}, metadata={"payment_id": "666"}, status="pending"
    )
    found = Payment.find_one(payment.id)

    assert (found.amount.value, found.metadata, found.status) == (1, {"payment_id": "666"}, "pending")


def test_it_answers_404_for_an_unknown_payment(fake):
    with pytest.raises(NotFoundError) as excinfo:
        Payment.find_one("2e8b1f5a-000f-5000-9000-1d5c8a1b2c3d")

    assert error_of(excinfo)["code"] == "not_found"


def test_it_serves_a_checkout_page_for_the_confirmation_url(fake):
    payment = create()

    page = httpx.get(payment.confirmation.confirmation_url)

    assert page.status_code == 200 and payment.id in page.text and "490.00" in page.text
