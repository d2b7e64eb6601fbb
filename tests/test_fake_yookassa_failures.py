"""The YooKassa fake's refunds, notifications, injected failures and the SDK's retries against it, through the
official SDK (creating payments, receipts and the buyer's side are in test_fake_yookassa.py)."""

import socket
import subprocess
import sys
import time
from datetime import datetime

import httpx
import pytest
import requests
from urllib3.util.retry import RequestHistory
from yookassa import Configuration, Payment, Refund
from yookassa.client import ApiClient
from yookassa.domain.exceptions import (
    BadRequestError,
    InternalServerError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from yookassa.domain.notification import RefundWebhookNotification, WebhookNotificationFactory
from yookassa.domain.response import PaymentResponse

from tests.fakes.yookassa import FakeYooKassa
from tests.test_fake_yookassa import (  # noqa: F401  (fixtures, named by the tests' parameters)
    DROPPED,
    REPO,
    YOOKASSA_ID,
    api,
    body,
    configure,
    create,
    error_of,
    fake,
    patched_session,
    pay,
    post,
    server,
)

# -- refunds and notifications --------------------------------------------------------------------------------------


def test_it_makes_refunds_the_sdk_reads(fake):
    payment = pay(fake)

    partial = fake.refund(payment.id, amount="90.00")
    rest = fake.refund(payment.id)

    assert YOOKASSA_ID.fullmatch(partial["id"]) and partial["status"] == "succeeded"
    assert (partial["amount"]["value"], rest["amount"]["value"]) == ("90.00", "400.00")
    found = Refund.find_one(rest["id"])
    assert (found.payment_id, found.status, found.amount.value) == (payment.id, "succeeded", 400)
    assert datetime.fromisoformat(found.created_at)
    assert fake.payments[payment.id]["refunded_amount"]["value"] == "490.00"
    assert fake.payments[payment.id]["refundable"] is False
    with pytest.raises(ValueError):
        fake.refund(payment.id)


def test_it_creates_refunds_through_the_api_idempotently(fake):
    payment = pay(fake)
    request = {"payment_id": payment.id, "amount": {"value": "100.00", "currency": "RUB"}}

    refund = Refund.create(request, "refund-1")
    again = Refund.create(request, "refund-1")

    assert again.id == refund.id and list(fake.refunds) == [refund.id]
    assert fake.payments[payment.id]["refunded_amount"]["value"] == "100.00"
    with pytest.raises(BadRequestError):
        Refund.create(request | {"amount": {"value": "400.00", "currency": "RUB"}}, "refund-2")


def test_it_refuses_to_refund_a_pending_payment(fake):
    payment = create()

    with pytest.raises(BadRequestError) as excinfo:
        Refund.create({"payment_id": payment.id, "amount": {"value": "1.00", "currency": "RUB"}}, "refund-1")

    assert error_of(excinfo)["parameter"] == "payment_id"


def test_it_builds_notifications_the_sdk_parses(fake):
    payment = pay(fake)
    refund = fake.refund(payment.id)

    paid = WebhookNotificationFactory().create(fake.notification("payment.succeeded", payment.id))
    refunded = WebhookNotificationFactory().create(fake.notification("refund.succeeded", refund["id"]))

    # The factory has no class of its own for payment events: the base WebhookNotification carries them.
    assert isinstance(paid.object, PaymentResponse) and paid.event == "payment.succeeded"
    assert (paid.object.id, paid.object.status, paid.object.metadata["payment_id"]) == (payment.id, "succeeded", "42")
    assert isinstance(refunded, RefundWebhookNotification) and refunded.object.payment_id == payment.id


def test_it_keeps_a_notification_built_before_a_tamper(fake):
    payment = pay(fake)
    notification = fake.notification("payment.succeeded", payment.id)

    fake.tamper(payment.id, amount={"value": "1.00", "currency": "RUB"})

    assert notification["object"]["amount"]["value"] == "490.00"
    assert Payment.find_one(payment.id).amount.value == 1


# -- failures --------------------------------------------------------------------------------------------------------


def test_it_answers_an_injected_500_which_the_sdk_raises_without_retrying(fake):
    fake.fail_next(status=500)

    with pytest.raises(InternalServerError) as excinfo:
        create()
    payment = create()

    assert error_of(excinfo)["type"] == "error" and error_of(excinfo)["code"] == "internal_server_error"
    assert [call.status for call in fake.requests("POST")] == [500, 200]
    assert list(fake.payments) == [payment.id]


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [
        (429, "too_many_requests", TooManyRequestsError),
        (404, "not_found", NotFoundError),
        (400, "invalid_request", BadRequestError),
        (401, "invalid_credentials", UnauthorizedError),
    ],
)
def test_it_maps_injected_errors_to_the_sdk_exceptions(fake, status, code, exception):
    payment = create()
    fake.fail_next(status=status, description="scripted", times=2, path_prefix=f"/v3/payments/{payment.id}")

    for _ in range(2):
        with pytest.raises(exception) as excinfo:
            Payment.find_one(payment.id)
        assert (error_of(excinfo)["code"], error_of(excinfo)["description"]) == (code, "scripted")
    assert Payment.find_one(payment.id).id == payment.id


def test_it_rejects_wrong_credentials(fake):
    Configuration.configure(fake.SHOP_ID, "wrong", api_url=fake.api_url)

    with pytest.raises(UnauthorizedError) as excinfo:
        create()
    bearer = httpx.post(
        f"{fake.api_url}/payments", json=body(), headers={"Idempotence-Key": "k", "Authorization": "Bearer x"}
    )

    assert error_of(excinfo)["code"] == "invalid_credentials"
    assert bearer.status_code == 401 and bearer.json()["code"] == "invalid_credentials"
    assert not fake.payments


def test_it_drops_connections_when_down_and_the_sdk_raises_attribute_error(fake, api):
    fake.down = True

    with pytest.raises(AttributeError, match=DROPPED) as excinfo:
        create()
    with pytest.raises(AttributeError, match=DROPPED):
        Payment.find_one("2e8b1f5a-000f-5000-9000-1d5c8a1b2c3d")
    with pytest.raises(httpx.RemoteProtocolError):
        post(api, body())

    # The SDK's `except Exception as e: handle_error(e.response)`: a requests error with no response.
    assert isinstance(excinfo.value.__context__, requests.ConnectionError)
    assert [call.status for call in fake.requests()] == [0, 0, 0] and not fake.payments
    fake.down = False
    assert create().status == "pending"


def test_it_answers_after_a_hang_shorter_than_the_client_timeout(fake, api, monkeypatch):
    monkeypatch.setattr(ApiClient, "get_session", patched_session(timeout=5))
    fake.hang_seconds = 0.3

    started = time.monotonic()
    payment = create()
    raw = api.get(f"/payments/{payment.id}", timeout=5)

    assert time.monotonic() - started >= 0.6
    assert raw.status_code == 200 and raw.json()["id"] == payment.id


def test_it_hangs_past_a_session_timeout_and_the_sdk_raises_attribute_error(fake, monkeypatch):
    monkeypatch.setattr(ApiClient, "get_session", patched_session(timeout=0.3))
    fake.hang_seconds = 30

    started = time.monotonic()
    with pytest.raises(AttributeError, match=DROPPED) as excinfo:
        create()

    assert time.monotonic() - started < 5
    assert isinstance(excinfo.value.__context__, requests.ReadTimeout)
    assert fake.requests()[0].status == 0  # still hanging; reset() lets it go


# -- how the SDK retries (what the production https:// session does) -------------------------------------------------


def test_it_documents_the_sdk_retry_policy(fake):
    session = ApiClient().get_session()
    retry = session.adapters["https://"].max_retries

    assert (retry.total, retry.backoff_factor) == (3, 1.8)  # Configuration.max_attempts, .timeout / 1000
    assert (retry.allowed_methods, retry.status_forcelist) == (["POST"], [202])
    failed = RequestHistory("POST", "/v3/payments", None, None, None)
    # The wait before the 1st, 2nd and 3rd retry: about 11 s in all before the SDK gives up.
    assert [retry.new(history=(failed,) * n).get_backoff_time() for n in (1, 2, 3)] == [0, 3.6, 7.2]
    assert session.adapters["http://"].max_retries.total == 0  # a plain http:// api_url is never retried

    configure(fake, timeout=0, max_attempts=0)
    assert ApiClient().get_session().adapters["https://"].max_retries.total == 0


@pytest.mark.parametrize(("max_attempts", "sends"), [(3, 4), (1, 2), (0, 1)])
def test_it_shows_the_https_policy_resends_a_dropped_post_max_attempts_times(fake, monkeypatch, max_attempts, sends):
    monkeypatch.setattr(ApiClient, "get_session", patched_session(https_policy=True))
    configure(fake, timeout=1, max_attempts=max_attempts)  # timeout=1: a backoff_factor of 0.001 s, not 1.8 s
    fake.down = True

    with pytest.raises(AttributeError, match=DROPPED):
        create()

    assert [call.idempotence_key for call in fake.requests("POST")] == ["payment-42"] * sends


def test_it_shows_the_https_policy_sends_a_dropped_get_or_a_500_once(fake, monkeypatch):
    monkeypatch.setattr(ApiClient, "get_session", patched_session(https_policy=True))
    configure(fake, timeout=1)
    fake.down = True

    with pytest.raises(AttributeError, match=DROPPED):
        Payment.find_one("2e8b1f5a-000f-5000-9000-1d5c8a1b2c3d")
    fake.down = False
    fake.fail_next(status=500)
    with pytest.raises(InternalServerError):
        create()

    assert [(call.method, call.status) for call in fake.requests()] == [("GET", 0), ("POST", 500)]


def test_it_shows_the_https_policy_resends_a_timed_out_post(fake, monkeypatch):
    monkeypatch.setattr(ApiClient, "get_session", patched_session(timeout=0.2, https_policy=True))
    configure(fake, timeout=1)
    fake.hang_seconds = 30

    with pytest.raises(AttributeError, match=DROPPED) as excinfo:
        create()

    # Four sends of one create: with a timeout T a hung create costs the caller 4 × T plus the backoff.
    assert [call.idempotence_key for call in fake.requests("POST")] == ["payment-42"] * 4
    assert isinstance(excinfo.value.__context__, requests.ConnectionError)


# -- housekeeping ----------------------------------------------------------------------------------------------------


def test_it_forgets_everything_on_reset(fake):
    pay(fake)
    fake.fail_next(status=500, times=5)
    fake.down, fake.hang_seconds = True, 1.0

    fake.reset()

    assert (fake.calls, fake.payments, fake.refunds, fake.down, fake.hang_seconds) == ([], {}, {}, False, 0.0)
    assert create().status == "pending"


def test_it_runs_standalone_on_a_given_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tests.fakes.yookassa", "--port", str(port), "--secret-key", "s3cret"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            api_line = process.stdout.readline().strip()
            answer = httpx.post(
                f"{base_url}/v3/payments",
                json=body(),
                auth=(FakeYooKassa.SHOP_ID, "s3cret"),
                headers={"Idempotence-Key": "k"},
            )
        finally:
            process.terminate()

    assert base_url == f"http://127.0.0.1:{port}" and api_line == f"api url: {base_url}/v3"
    assert answer.status_code == 200 and answer.json()["status"] == "pending"
    assert process.returncode == 0
