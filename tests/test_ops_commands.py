from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction, Payment
from generations.models import Generation
from ops import stats
from tests.factories import make_generations, make_payment, make_user

pytestmark = pytest.mark.django_db
Kind = CreditTransaction.Kind


def run(*args, **options):
    return call_command(*args, **options)


def balance(user):
    return TelegramUser.objects.values_list("balance", flat=True).get(pk=user.pk)


# -- grant_credits / revoke_credits ---------------------------------------------------------------


def test_it_grants_once_with_a_key(capsys):
    user = make_user(credits=10)

    run("grant_credits", str(user.telegram_id), "50", reason="apology for #42", key="ticket-42")
    run("grant_credits", str(user.telegram_id), "50", reason="apology for #42", key="ticket-42")

    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("+50 credits to " + str(user) + "; balance 60")
    assert "already done with key 'ticket-42'" in out[1] and out[1].endswith("has 60 credits")
    grant = CreditTransaction.objects.get(kind=Kind.MANUAL_GRANT, reason__startswith="apology for #42 (by ")
    assert (grant.amount, grant.actor, balance(user)) == (50, None, 60)


def test_it_grants_again_on_each_run_without_a_key_when_told_again():
    user = make_user()

    run("grant_credits", str(user.telegram_id), "5", reason="promo")
    run("grant_credits", str(user.telegram_id), "5", reason="promo", again=True)

    assert balance(user) == 10
    assert CreditTransaction.objects.filter(kind=Kind.MANUAL_GRANT, reason__startswith="promo (by ").count() == 2


@pytest.mark.parametrize("command", ["grant_credits", "revoke_credits"])
@pytest.mark.parametrize(
    ("telegram_id", "amount", "reason", "error"),
    [
        ("999999", "5", "why", "No user with Telegram ID 999999"),
        ("@someone", "5", "why", "Not a Telegram ID"),
        (None, "0", "why", "above zero"),
        (None, "-5", "why", "above zero"),
        (None, "2.5", "why", "above zero"),
        (None, "ten", "why", "above zero"),
        (None, "99999999999", "why", "above zero"),
        (None, "5", "", "A reason is required"),
        (None, "5", "   ", "A reason is required"),
    ],
)
def test_it_refuses_junk_and_writes_nothing(command, telegram_id, amount, reason, error):
    user = make_user(credits=20)
    entries = CreditTransaction.objects.count()

    with pytest.raises(CommandError, match=error) as refused:
        run(command, telegram_id or str(user.telegram_id), amount, reason=reason)

    assert refused.value.returncode == 1
    assert (CreditTransaction.objects.count(), balance(user)) == (entries, 20)


def test_it_refuses_a_key_already_used_for_someone_else():
    first, second = make_user(), make_user()
    run("grant_credits", str(first.telegram_id), "5", reason="promo", key="promo-1")

    with pytest.raises(CommandError, match="already used for \\+5 credits"):
        run("grant_credits", str(second.telegram_id), "5", reason="promo", key="promo-1")

    assert (balance(first), balance(second)) == (5, 0)


def test_it_revokes_once_with_a_key(capsys):
    user = make_user(credits=30)

    run("revoke_credits", str(user.telegram_id), "12", reason="granted twice by mistake", key="fix-1")
    run("revoke_credits", str(user.telegram_id), "12", reason="granted twice by mistake", key="fix-1")

    assert "-12 credits to" in capsys.readouterr().out
    assert balance(user) == 18
    assert CreditTransaction.objects.filter(kind=Kind.MANUAL_REVOKE).count() == 1


def test_it_refuses_to_revoke_more_than_the_balance():
    user = make_user(credits=10)

    with pytest.raises(CommandError, match="Not enough credits: 11 needed, 10 available"):
        run("revoke_credits", str(user.telegram_id), "11", reason="abuse")

    assert balance(user) == 10
    assert not CreditTransaction.objects.filter(kind=Kind.MANUAL_REVOKE).exists()


# -- refund_generation ------------------------------------------------------------------------------


def charged(user, *, status, cost=10):
    (generation,) = make_generations(user, cost=cost)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=status)
    return generation


def test_it_refunds_a_generation_once(capsys):
    user = make_user(credits=30)
    generation = charged(user, status=Generation.Status.CANCELLED)

    run("refund_generation", str(generation.pk), reason="result was blank")
    with pytest.raises(CommandError, match=f"Generation #{generation.pk} was already refunded") as refused:
        run("refund_generation", str(generation.pk), reason="result was blank")

    assert refused.value.returncode == 1
    assert f"+10 credits to {user}; balance 30" in capsys.readouterr().out
    assert balance(user) == 30
    assert CreditTransaction.objects.get(kind=Kind.GENERATION_REFUND).reason.startswith("result was blank (by ")


def test_it_cancels_a_stuck_generation_before_refunding_it(capsys):
    user = make_user(credits=30)
    generation = charged(user, status=Generation.Status.PROCESSING)

    run("refund_generation", str(generation.pk), reason="stuck at the provider")

    generation.refresh_from_db()
    assert generation.status == Generation.Status.CANCELLED and balance(user) == 30
    assert "(cancelled)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "reason", "error"),
    [
        ("completed", "why", "completed: its result was delivered"),
        ("never charged", "why", "never charged"),
        ("missing", "why", "No generation #"),
        ("failed", "", "A reason is required"),
    ],
)
def test_it_refuses_a_refund_it_must_not_make(setup, reason, error):
    user = make_user(credits=30)
    if setup == "never charged":
        (generation,) = make_generations(user)
        generation_id = generation.pk
    elif setup == "missing":
        generation_id = 987654
    else:
        generation_id = charged(user, status=setup).pk

    with pytest.raises(CommandError, match=error):
        run("refund_generation", str(generation_id), reason=reason)

    assert not CreditTransaction.objects.filter(kind=Kind.GENERATION_REFUND).exists()


# -- stats ------------------------------------------------------------------------------------------


@pytest.fixture
def known_week():
    """A week of a small shop: three users, five generations (one a month old), three payments."""
    now = timezone.now()
    alice, bob, carol = make_user(credits=100), make_user(), make_user()
    TelegramUser.objects.filter(pk=alice.pk).update(last_activity_at=now - timedelta(hours=1))
    TelegramUser.objects.filter(pk=bob.pk).update(last_activity_at=now - timedelta(days=30), bot_blocked_at=now)
    TelegramUser.objects.filter(pk=carol.pk).update(created_at=now - timedelta(days=30), is_blocked=True)

    done, failed = make_generations(alice, count=2, cost=10)
    (image,) = make_generations(alice, kind=Generation.Kind.IMAGE, cost=5)
    ledger.charge_generations(generations=[done, failed])
    ledger.charge_generations(generations=[image])
    ledger.refund_generation(generation=failed, reason="provider failed")
    Generation.objects.filter(pk=done.pk).update(
        status="completed", created_at=now - timedelta(minutes=10), finished_at=now - timedelta(minutes=6)
    )
    Generation.objects.filter(pk=failed.pk).update(status="failed", error_class="content_policy")
    Generation.objects.filter(pk=image.pk).update(status="processing")
    make_generations(alice)  # queued
    (old,) = make_generations(alice)
    Generation.objects.filter(pk=old.pk).update(
        status="completed", error_class="temporary", created_at=now - timedelta(days=30), finished_at=now
    )

    paid = make_payment(alice, credits=100, amount="890.00")
    make_payment(alice, credits=100, amount="890.00")  # pending
    stars = make_payment(alice, credits=50, amount="450", method=Payment.Method.STARS, currency="XTR")
    for payment in (paid, stars):
        Payment.objects.filter(pk=payment.pk).update(status="succeeded")
        ledger.credit_payment(payment=payment)
    TelegramUser.objects.filter(pk=carol.pk).update(balance=F("balance") + 7)
    return alice, bob, carol


def test_it_sums_up_a_known_week(known_week, django_assert_max_num_queries):
    carol = known_week[2]

    # 7 for the summary, 2 by model, 5 for growth (per campaign and per referrer: arrivals, payments; referrers).
    with django_assert_max_num_queries(14):
        data = stats.collect(days=7)

    assert data["users"] == {"total": 3, "new": 2, "active": 1, "blocked_bot": 1, "blocked_by_staff": 1}
    generations = data["generations"]
    assert generations["total"] == 4
    assert generations["by_status"] == {"completed": 1, "failed": 1, "processing": 1, "queued": 1}
    assert generations["by_error"] == {"content_policy": 1}
    assert (generations["queued"], generations["in_flight"]) == (1, 1)
    assert generations["completed_in"] == {"video": {"count": 1, "average_seconds": pytest.approx(240, abs=1)}}
    payments = data["payments"]
    assert payments["by_method"] == {
        "yookassa": {
            "succeeded": {"count": 1, "amount": Decimal("890.00"), "currency": "RUB"},
            "pending": {"count": 1, "amount": Decimal("890.00"), "currency": "RUB"},
        },
        "stars": {"succeeded": {"count": 1, "amount": Decimal("450"), "currency": "XTR"}},
    }
    assert payments["revenue"] == {"RUB": Decimal("890.00"), "XTR": Decimal("450")}
    assert data["credits"] == {
        "sold": 150,
        "spent": 25,
        "refunded": 10,
        "granted": 100,
        "revoked": 0,
        "taken_back_by_payment_refunds": 0,
        "referral_welcome": 0,
        "referral_rewards": 0,
        "referral_rewards_taken_back": 0,
        "promo": 0,
    }
    assert data["ledger_mismatches"] == [
        {"user_id": carol.pk, "telegram_id": carol.telegram_id, "balance": 7, "ledger": 0}
    ]


def test_it_prints_the_summary(known_week, capsys):
    run("stats", days=7)

    out = capsys.readouterr().out
    assert "users: 3 total, 2 new, 1 active, 1 blocked the bot, 1 blocked by staff" in out
    assert "generations: 4 (completed 1, failed 1, processing 1, queued 1); errors: content_policy 1" in out
    assert "now: 1 queued, 1 in flight; average to complete: video 4m00s (1)" in out
    assert "payments: stars succeeded 1 (450 XTR); yookassa pending 1 (890.00 RUB), succeeded 1 (890.00 RUB)" in out
    assert "revenue 890.00 RUB, 450 XTR" in out
    assert "credits: 150 sold, 25 spent, 10 refunded, 100 granted, 0 revoked" in out
    assert f"ledger: 1 mismatched: telegram {known_week[2].telegram_id} (balance 7, ledger 0)" in out
    assert out.splitlines()[-1] == "stats: 7 days, 3 users, 4 generations, 3 payments, 1 ledger mismatches"


def test_it_takes_a_longer_window(known_week):
    assert stats.collect(days=31)["generations"]["by_error"] == {"content_policy": 1, "temporary": 1}


@pytest.mark.parametrize("days", ["0", "-1", "week", "1.5"])
def test_it_refuses_a_window_that_is_not_whole_days(days):
    with pytest.raises(CommandError, match="--days must be a whole number"):
        run("stats", days=days)
