"""Raw provider payloads go after PAYLOAD_TTL_DAYS: webhook bodies and payments' API answers are blanked (the
rows stay), generation events deleted; younger ones are kept."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import Payment, WebhookEvent
from generations.models import GenerationEvent
from ops import cleanup
from tests.factories import make_generations, make_payment, make_user

pytestmark = pytest.mark.django_db
BODY = '{"type": "notification", "object": {"id": "2f1e", "receipt": {"customer": {"email": "a@b.ru"}}}}'


def aged(queryset, field, days):
    queryset.update(**{field: timezone.now() - timedelta(days=days)})


@pytest.fixture
def payloads(settings):
    settings.PAYLOAD_TTL_DAYS = 90
    user = make_user()
    rows = {}
    for name, days in (("old", 91), ("young", 89)):
        event = WebhookEvent.objects.create(
            provider="yookassa", event_id=f"{name}-id", payload=BODY, status=WebhookEvent.Status.PROCESSED
        )
        aged(WebhookEvent.objects.filter(pk=event.pk), "received_at", days)
        payment = make_payment(user)
        Payment.objects.filter(pk=payment.pk).update(
            raw={"id": "2f1e", "status": "succeeded"}, status=Payment.Status.SUCCEEDED
        )
        aged(Payment.objects.filter(pk=payment.pk), "updated_at", days)
        (generation,) = make_generations(user)
        step = GenerationEvent.objects.create(generation=generation, kind="error", detail="temporary: KIE said …")
        aged(GenerationEvent.objects.filter(pk=step.pk), "at", days)
        rows[name] = (event, payment, step)
    return rows


def test_it_blanks_old_bodies_and_keeps_the_rows(payloads):
    (old_event, old_payment, old_step), (young_event, young_payment, young_step) = payloads["old"], payloads["young"]
    status, updated_at = Payment.objects.filter(pk=old_payment.pk).values_list("status", "updated_at").get()

    counts = cleanup.run()

    assert (counts["webhook bodies"], counts["payment answers"], counts["generation events"]) == (1, 1, 1)
    old_event.refresh_from_db()
    assert (old_event.payload, old_event.event_id, old_event.status) == ("", "old-id", WebhookEvent.Status.PROCESSED)
    old_payment = Payment.objects.get(pk=old_payment.pk)
    assert (old_payment.raw, old_payment.status, old_payment.updated_at) == ({}, status, updated_at)
    assert (str(old_payment.amount), old_payment.credits) == ("890.00", 100)
    assert not GenerationEvent.objects.filter(pk=old_step.pk).exists()

    young_event.refresh_from_db()
    assert young_event.payload == BODY
    assert Payment.objects.get(pk=young_payment.pk).raw == {"id": "2f1e", "status": "succeeded"}
    assert GenerationEvent.objects.filter(pk=young_step.pk).exists()


def test_it_counts_them_in_a_dry_run_and_changes_nothing(payloads, capsys):
    call_command("run_cleanup", "--dry-run")

    out = capsys.readouterr().out
    assert "1 webhook bodies, 1 payment answers, 1 generation events" in out
    assert WebhookEvent.objects.filter(payload=BODY).count() == 2
    assert Payment.objects.exclude(raw={}).count() == 2
    assert GenerationEvent.objects.count() == 2


def test_it_finds_nothing_left_on_a_second_pass(payloads):
    cleanup.run()

    counts = cleanup.run()

    assert (counts["webhook bodies"], counts["payment answers"], counts["generation events"]) == (0, 0, 0)
