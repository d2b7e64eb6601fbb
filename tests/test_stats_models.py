"""`stats` by model: for the window, each model's generations, completed, failed, refunded, taken over (made
instead of the model the seller ordered), credits charged and refunded, and the average time to the result."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import ledger
from generations.models import Generation
from ops import stats
from tests.factories import make_generations, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(settings):
    """Sora 2 and Veo 3.1 Fast at work, Veo taking over two Sora orders; Veo 3.1 Quality on but unused."""
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    now = timezone.now()
    user = make_user(credits=200)

    def made(model, *, status, cost, ordered=None, minutes=None, refunded=False, days_ago=0):
        (generation,) = make_generations(user, cost=cost, kind="image" if model == "nano-banana" else "video")
        ledger.charge_generations(generations=[generation])
        if refunded:
            ledger.refund_generation(generation=generation, reason="failed")
        created = now - timedelta(days=days_ago, minutes=30)
        finished = created + timedelta(minutes=minutes) if minutes else None
        Generation.objects.filter(pk=generation.pk).update(
            model=model, ordered_model=ordered or model, status=status, created_at=created, finished_at=finished
        )

    made("sora2", status="completed", cost=10, minutes=4)
    made("sora2", status="failed", cost=10, refunded=True)
    made("sora2", status="completed", cost=10, minutes=1, days_ago=8)  # before the window
    made("veo3_fast", status="completed", cost=20, ordered="sora2", minutes=8)
    made("veo3_fast", status="completed", cost=20, minutes=2)
    made("veo3_fast", status="failed", cost=20, ordered="sora2", refunded=True)
    made("nano-banana", status="queued", cost=5)


def test_it_counts_each_models_generations_money_and_time_in_the_window(week, django_assert_num_queries):
    with django_assert_num_queries(2):
        figures = stats.by_model(timezone.now() - timedelta(days=7))

    assert list(figures) == ["veo3_fast", "sora2", "nano-banana", "veo3"]
    assert figures["veo3_fast"] == {
        "generations": 3,
        "completed": 2,
        "failed": 1,
        "refunded": 1,
        "taken_over": 2,
        "charged": 60,
        "credits_refunded": 20,
        "average_seconds": pytest.approx(300, abs=1),
    }
    assert figures["sora2"] == {
        "generations": 2,
        "completed": 1,
        "failed": 1,
        "refunded": 1,
        "taken_over": 0,
        "charged": 20,
        "credits_refunded": 10,
        "average_seconds": pytest.approx(240, abs=1),
    }
    assert figures["nano-banana"] == {
        "generations": 1,
        "completed": 0,
        "failed": 0,
        "refunded": 0,
        "taken_over": 0,
        "charged": 5,
        "credits_refunded": 0,
        "average_seconds": None,
    }
    assert figures["veo3"] == dict.fromkeys(stats.MODEL_COUNTS, 0) | {"average_seconds": None}


def test_it_takes_the_commands_window(week):
    assert stats.collect(days=9)["by_model"]["sora2"]["generations"] == 3


def test_it_prints_a_line_per_model(week, capsys):
    call_command("stats", days="7")

    out = capsys.readouterr().out
    assert (
        "model veo3_fast (Veo 3.1 Fast): 3 generations, 2 completed, 1 failed, 1 refunded, "
        "2 taken over from the model ordered, 60 credits charged, 20 credits refunded, average to result 5m00s"
    ) in out
    assert "model sora2 (Sora 2): 2 generations, 1 completed, 1 failed, 1 refunded, 0 taken over" in out
    assert "model nano-banana: 1 generations, 0 completed" in out and "5 credits charged" in out
    assert "model veo3 (Veo 3.1 Quality): 0 generations" in out and "average to result —" in out


def test_it_passes_check_ledger_after_the_refunds(week, capsys):
    call_command("check_ledger")

    assert "all balances match" in capsys.readouterr().out
