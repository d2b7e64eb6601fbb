"""An update is recorded once, in one statement, and a duplicate leaves the caller's transaction usable."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from botapp.models import ProcessedUpdate
from botapp.turns import record

pytestmark = pytest.mark.django_db


def test_it_records_an_update_once():
    assert record(5001) is True
    assert record(5001) is False
    assert ProcessedUpdate.objects.filter(update_id=5001).count() == 1


def test_a_duplicate_leaves_the_transaction_going_on():
    record(5002)

    with transaction.atomic():
        assert record(5002) is False
        assert record(5003) is True  # the transaction was not broken by the duplicate

    assert set(ProcessedUpdate.objects.values_list("update_id", flat=True)) == {5002, 5003}


def test_a_rolled_back_record_is_made_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert record(5004) is True
        raise RuntimeError("the step failed")

    assert record(5004) is True


def test_it_records_when_it_was_received():
    record(5005)

    received = ProcessedUpdate.objects.get(update_id=5005).received_at
    assert abs(received - timezone.now()) < timedelta(minutes=1)
    assert ProcessedUpdate.objects.filter(received_at__lt=timezone.now() - timedelta(days=1)).count() == 0


def test_it_takes_one_statement():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record(5006)

    assert len(queries) == 1
