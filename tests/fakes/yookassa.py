"""A local fake of the YooKassa payments API (v3) that speaks the real HTTP protocol.

Point the official SDK at it: ``Configuration.configure(shop_id, secret_key, api_url=fake.api_url)``
(every configure() call resets api_url unless it is passed again).
Standalone: ``python -m tests.fakes.yookassa --port 8084``.
"""

import argparse
import base64
import copy
import html
import json
import re
import threading
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus

from tests.fakes.http_base import FakeHttpServer, Response, serve_until_signal
from tests.fakes.yookassa_api import (
    CENTS,
    COMMISSION,
    GATEWAY_ID,
    Call,
    YooKassaError,
    _Dropped,
    _Failure,
    _Handler,
    check_amount,
    check_payment,
    invalid,
    money,
    new_id,
    payment_method,
    timestamp,
)


class FakeYooKassa(FakeHttpServer):
    thread_name = "fake-yookassa"
    SHOP_ID = "123456"
    SECRET_KEY = "test_secret_key_for_the_fake"

    def __init__(
        self, *, shop_id=SHOP_ID, secret_key=SECRET_KEY, host="127.0.0.1", port=0, latency=0.0, receipts_required=False
    ):
        super().__init__(host=host, port=port, latency=latency)
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.receipts_required = receipts_required
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._routes = [
            ("POST", re.compile(r"/v3/payments"), lambda call: self._idempotent(call, self._new_payment)),
            ("GET", re.compile(r"/v3/payments/([\w-]+)"), lambda call, id_: self._find(self.payments, "Payment", id_)),
            ("POST", re.compile(r"/v3/refunds"), lambda call: self._idempotent(call, self._new_refund)),
            ("GET", re.compile(r"/v3/refunds/([\w-]+)"), lambda call, id_: self._find(self.refunds, "Refund", id_)),
        ]
        self._forget()

    @property
    def base_url(self):
        return self.origin

    @property
    def api_url(self):
        return f"{self.origin}/v3"

    def start(self):
        super().start()
        # The base server has no way to answer nothing; this handler turns _Dropped into a closed connection.
        self._server.RequestHandlerClass = _Handler
        return self

    def stop(self):
        self._wake_hung()
        super().stop()

    # -- what tests look at ----------------------------------------------------------------------------

    def requests(self, method=None, path_prefix=None):
        with self._lock:
            calls = list(self.calls)
        return [
            call
            for call in calls
            if (method is None or call.method == method) and (path_prefix is None or call.path.startswith(path_prefix))
        ]

    def notification(self, event, object_id):
        """The body YooKassa would POST to the webhook for `event` ("payment.succeeded", "refund.succeeded", …)."""
        objects = {"payment": self.payments, "refund": self.refunds}[event.partition(".")[0]]
        with self._lock:
            return {"type": "notification", "event": event, "object": copy.deepcopy(objects[object_id])}

    # -- what tests arrange ----------------------------------------------------------------------------

    def succeed(self, payment_id, *, method_type="bank_card"):
        """The buyer paid. A payment created without capture: true waits for capture, as the real one does."""
        with self._lock:
            payment = self._unfinished(payment_id)
            payment.update(paid=True, payment_method=payment_method(method_type, payment_id))
            if payment["status"] == "pending" and not self._captures.get(payment_id):
                payment.update(status="waiting_for_capture", expires_at=timestamp(timedelta(days=7)))
            else:
                self._capture(payment)
            return copy.deepcopy(payment)

    def cancel(self, payment_id, *, party="yoo_money", reason="expired_on_confirmation"):
        with self._lock:
            payment = self._unfinished(payment_id)
            payment.update(status="canceled", paid=False, cancellation_details={"party": party, "reason": reason})
            payment.pop("expires_at", None)
            return copy.deepcopy(payment)

    def refund(self, payment_id, *, amount=None):
        """A refund made outside the app (say, in the shop's dashboard); the whole remainder by default."""
        with self._lock:
            payment = self.payments[payment_id]
            value = (
                self._refundable(payment)
                if amount is None
                else Decimal(amount["value"] if isinstance(amount, dict) else str(amount))
            )
            return copy.deepcopy(self._make_refund(payment, value))

    def tamper(self, payment_id, **fields):
        """From now on the API answers these fields for the payment (webhook bodies built later carry them too)."""
        with self._lock:
            self.payments[payment_id].update(copy.deepcopy(fields))

    def fail_next(self, *, status, code=None, description=None, times=1, path_prefix="/v3/payments"):
        """Answer the next `times` requests whose path starts with `path_prefix` with this error (nothing is done)."""
        with self._lock:
            self._failures.append(_Failure(YooKassaError(status, description, code=code), times, path_prefix))

    def reset(self):
        with self._lock:
            self._forget()
        self._wake_hung()

    # -- HTTP entry point (called from server threads) ------------------------------------------------------

    def handle(self, request):
        call = self._record(request)
        if self.hang_seconds > 0:
            self._wake.wait(self.hang_seconds)
        if self.down:
            raise _Dropped
        try:
            response = self._answer(call)
        except YooKassaError as error:
            response = Response.json(error.status, error.body())
        call.status = response.status
        return response

    def _record(self, request):
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
        call = Call(
            request.method, request.path, dict(request.headers.items()), body, at=time.monotonic(), raw=request.body
        )
        with self._lock:
            self.calls.append(call)
        return call

    def _answer(self, call):
        if call.method == "GET" and call.path.startswith("/checkout/"):
            return self._checkout_page(call.path.removeprefix("/checkout/"))
        self._take_failure(call.path)
        self._authorize(call.header("Authorization") or "")
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                with self._lock:
                    return Response.json(HTTPStatus.OK, handler(call, *match.groups()))
        raise YooKassaError(HTTPStatus.NOT_FOUND, f"{call.method} {call.path} not found")

    def _take_failure(self, path):
        with self._lock:
            failure = next((f for f in self._failures if path.startswith(f.path_prefix)), None)
            if failure is None:
                return
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
        raise failure.error

    def _authorize(self, header):
        scheme, _, token = header.partition(" ")
        try:
            login = base64.b64decode(token.strip(), validate=True).decode()
        except ValueError:
            login = None
        if scheme.lower() != "basic" or login != f"{self.shop_id}:{self.secret_key}":
            raise YooKassaError(HTTPStatus.UNAUTHORIZED, parameter="Authorization")

    def _idempotent(self, call, create):
        """The original answer for a repeated key and body; a 400 for a repeated key with another body."""
        key = call.idempotence_key
        if not key or len(key) > 64:
            raise invalid("Idempotence-Key header is missing or longer than 64 characters", "Idempotence-Key")
        seen = self._answers.get((call.path, key))
        if seen is not None:
            body, answer = seen
            if body != call.body:
                raise invalid("Idempotence key duplicated", "Idempotence-Key")
            return copy.deepcopy(answer)
        answer = create(call.body)
        self._answers[(call.path, key)] = (copy.deepcopy(call.body), copy.deepcopy(answer))
        return answer

    # -- the API ---------------------------------------------------------------------------------------------

    def _new_payment(self, body):
        check_payment(body, self.receipts_required)
        payment_id = new_id("000f-5000-")
        payment = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": dict(body["amount"]),
            "recipient": {"account_id": self.shop_id, "gateway_id": GATEWAY_ID},
            "created_at": timestamp(),
            "confirmation": {
                "type": "redirect",
                "return_url": body["confirmation"]["return_url"],
                "confirmation_url": f"{self.base_url}/checkout/{payment_id}",
            },
            "test": True,
            "refundable": False,
            "metadata": dict(body.get("metadata") or {}),
        }
        if "description" in body:
            payment["description"] = body["description"]
        if body.get("receipt"):
            payment["receipt_registration"] = "pending"
        self.payments[payment_id] = payment
        self._captures[payment_id] = body.get("capture", False)
        return copy.deepcopy(payment)

    def _new_refund(self, body):
        payment = self.payments.get(body.get("payment_id")) if isinstance(body, dict) else None
        if payment is None:
            raise invalid("payment_id is missing or names no payment of this shop", "payment_id")
        return copy.deepcopy(self._make_refund(payment, check_amount(body.get("amount"), "amount")))

    @staticmethod
    def _find(objects, kind, object_id):
        if object_id not in objects:
            raise YooKassaError(HTTPStatus.NOT_FOUND, f"{kind} {object_id} not found", f"{kind.lower()}_id")
        return objects[object_id]

    def _checkout_page(self, payment_id):
        payment = self.payments.get(payment_id)
        if payment is None:
            return Response(HTTPStatus.NOT_FOUND, b"unknown payment", "text/plain; charset=utf-8")
        page = (
            f"<h1>Fake YooKassa checkout</h1><p>Payment {html.escape(payment_id)}: "
            f"{html.escape(payment['amount']['value'])} RUB, {html.escape(payment['status'])}</p>"
        )
        return Response(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")

    # -- state changes (under the lock) ---------------------------------------------------------------------------

    def _unfinished(self, payment_id):
        payment = self.payments[payment_id]
        if payment["status"] not in ("pending", "waiting_for_capture"):
            raise ValueError(f"payment {payment_id} is already {payment['status']}")
        return payment

    def _capture(self, payment):
        amount = Decimal(payment["amount"]["value"])
        payment.pop("expires_at", None)
        payment.update(
            status="succeeded",
            captured_at=timestamp(),
            refundable=True,
            income_amount=money(amount - (amount * COMMISSION).quantize(CENTS, ROUND_HALF_UP)),
        )
        if "receipt_registration" in payment:
            payment["receipt_registration"] = "succeeded"

    @staticmethod
    def _refundable(payment):
        return Decimal(payment["amount"]["value"]) - Decimal(payment.get("refunded_amount", {}).get("value", "0"))

    def _make_refund(self, payment, value):
        if payment["status"] != "succeeded":
            raise invalid(
                f"Payment {payment['id']} is {payment['status']}: only a succeeded one can be refunded", "payment_id"
            )
        remaining = self._refundable(payment)
        if not 0 < value <= remaining:
            raise invalid(f"The refund must be above zero and at most {remaining}", "amount.value")
        refund = {
            "id": new_id("0015-5000-"),
            "payment_id": payment["id"],
            "status": "succeeded",
            "amount": money(value),
            "created_at": timestamp(),
        }
        self.refunds[refund["id"]] = refund
        refunded = Decimal(payment["amount"]["value"]) - remaining + value
        payment.update(refunded_amount=money(refunded), refundable=refunded < Decimal(payment["amount"]["value"]))
        return refund

    # -- housekeeping -----------------------------------------------------------------------------------------

    def _forget(self):
        self.calls = []
        self.payments = {}
        self.refunds = {}
        self.down = False
        self.hang_seconds = 0.0
        self._failures = []
        self._answers = {}
        self._captures = {}

    def _wake_hung(self):
        # Requests waiting out hang_seconds answer now, so that stop() and the next test are not held up.
        wake, self._wake = self._wake, threading.Event()
        wake.set()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a fake YooKassa payments API (v3) until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8084)
    parser.add_argument("--shop-id", default=FakeYooKassa.SHOP_ID)
    parser.add_argument("--secret-key", default=FakeYooKassa.SECRET_KEY)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--receipts-required", action="store_true", help="refuse payments without a 54-FZ receipt")
    args = parser.parse_args(argv)
    fake = FakeYooKassa(
        shop_id=args.shop_id,
        secret_key=args.secret_key,
        host=args.host,
        port=args.port,
        latency=args.latency,
        receipts_required=args.receipts_required,
    )
    serve_until_signal(fake, _banner(fake))


def _banner(fake):
    # A generator, so the port is read after start() (with --port 0 it is known only then).
    yield f"api url: {fake.api_url}"
    yield f"shop id: {fake.shop_id}, secret key: {fake.secret_key}"


if __name__ == "__main__":
    main()
