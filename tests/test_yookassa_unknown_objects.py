"""A YooKassa notification naming an object the API doesn't know is acknowledged as ignored, not retried."""

import json
import logging

import pytest
from django.test import Client

from billing.models import WebhookEvent

YOOKASSA_IP = "185.71.76.5"
UNKNOWN_PAYMENT = "2f9a3c1e-000f-5000-8000-1d3c5e7a9b0c"
UNKNOWN_REFUND = "2f9a3c1e-0015-5000-9000-1d3c5e7a9b0c"


def notify(event, object_id):
    body = {
        "type": "notification",
        "event": event,
        "object": {
            "id": object_id,
            "status": "succeeded",
            "paid": True,
            "amount": {"value": "890.00", "currency": "RUB"},
        },
    }
    return Client().post(
        "/billing/yookassa/webhook/", json.dumps(body), content_type="application/json", REMOTE_ADDR=YOOKASSA_IP
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "event, object_id", [("payment.succeeded", UNKNOWN_PAYMENT), ("refund.succeeded", UNKNOWN_REFUND)]
)
def test_it_acknowledges_an_unknown_object_as_ignored_and_logs_its_id(shop, caplog, event, object_id):
    caplog.set_level(logging.INFO, logger="billing")

    response = notify(event, object_id)

    assert response.status_code == 200
    event_row = WebhookEvent.objects.get()
    assert (event_row.status, event_row.event_id) == ("ignored", object_id)
    assert any(object_id in record.getMessage() and "ignored" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_it_asks_again_when_yookassa_refuses_our_credentials(shop, settings):
    settings.YOOKASSA_SECRET_KEY = "a-key-that-was-rotated"

    response = notify("payment.succeeded", UNKNOWN_PAYMENT)

    assert response.status_code == 503
    assert WebhookEvent.objects.get().status == "failed"
