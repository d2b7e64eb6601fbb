"""Veo 3.1 orders against the fake KIE, as the tests of test_veo_*.py place them."""

from django.core.management import call_command
from django.utils import timezone

from billing.models import CreditTransaction
from generations.models import Generation
from tests.factories import make_user, place_order

VEO_GENERATE = "/api/v1/veo/generate"
VEO_READ = "/api/v1/veo/record-info"


def veo_on(settings):
    """Sora 2 and Veo 3.1 Fast on, as an operator would set them; Veo Fast at the catalog's default price."""
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]


def veo_order(workers, *, telegram_id, count=1, credits=100):
    user = make_user(credits=credits, telegram_id=telegram_id)
    return place_order(user, telegram=workers.telegram, count=count, model="veo3_fast").generations


def make_due(generation):
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=timezone.now())


def assert_charged_once(generation, *, refunded):
    rows = CreditTransaction.objects.filter(generation=generation)
    assert rows.filter(kind="generation_charge").count() == 1
    assert rows.filter(kind="generation_refund").count() == (1 if refunded else 0)
    call_command("check_ledger")  # raises CommandError on any mismatch
