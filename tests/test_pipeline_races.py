"""Two processes settling one generation at once: one refund, one message."""

import pytest

from billing import ledger
from billing.models import CreditTransaction
from generations import pipeline, services
from generations.models import Generation
from tests.concurrency import race
from tests.factories import make_user, place_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_refunds_and_tells_once_when_the_watchdog_and_a_poll_fail_it_together(workers):
    (generation,) = place_order(make_user(credits=50, telegram_id=7171), telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)

    outcomes = race(
        lambda: pipeline.fail(generation_id=generation.pk, error_class="timeout", message="late"), threads=6
    )

    assert [error for _, error in outcomes if error] == []
    assert sum(bool(failed) for failed, _ in outcomes) == 1
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    assert len(workers.telegram.texts(chat_id=7171)) == 1
    assert ledger.find_mismatches() == []


def test_it_refunds_once_when_the_user_cancels_as_the_provider_fails_it(workers):
    (generation,) = place_order(make_user(credits=50, telegram_id=7272), telegram=workers.telegram).generations
    pipeline.submit(generation_id=generation.pk)
    jobs = [
        lambda: services.cancel_generation(generation=generation, reason="cancelled by the user"),
        lambda: pipeline.fail(generation_id=generation.pk, error_class="temporary", message="provider down"),
    ]

    race(lambda job: job(), threads=2, args_for=lambda i: (jobs[i],))

    assert Generation.objects.get(pk=generation.pk).status in ("cancelled", "failed")
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    assert ledger.find_mismatches() == []
