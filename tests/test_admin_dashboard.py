from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from billing.models import Payment
from generations.models import Generation
from neurocards.models import Heartbeat
from ops import dashboard
from tests.factories import make_generations, make_payment, make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db
Status = Generation.Status
# A Wednesday afternoon in Moscow: Monday and Tuesday are this week, the Sunday before is not.
NOW = timezone.make_aware(datetime(2026, 3, 18, 15, 0))


def generations(user, status, count=1, **fields):
    ids = [g.pk for g in make_generations(user, count=count)]
    Generation.objects.filter(pk__in=ids).update(status=status, **fields)


def paid(user, *, method, amount, at, status=Payment.Status.SUCCEEDED):
    payment = make_payment(user, method=method, amount=amount, currency="XTR" if method == "stars" else "RUB")
    Payment.objects.filter(pk=payment.pk).update(status=status, paid_at=at)


def test_it_counts_the_queue_recent_failures_revenue_open_payments_and_schedules():
    user = make_user()
    generations(user, Status.QUEUED, count=2)
    generations(user, Status.SUBMITTING)
    generations(user, Status.PROCESSING)
    generations(user, Status.FAILED, count=2, error_class="temporary", finished_at=NOW - timedelta(hours=2))
    generations(user, Status.FAILED, error_class="user", finished_at=NOW - timedelta(hours=23))
    generations(user, Status.FAILED, error_class="billing", finished_at=NOW - timedelta(hours=25))
    paid(user, method="yookassa", amount="890.00", at=NOW - timedelta(hours=1))
    paid(user, method="yookassa", amount="290.00", at=NOW - timedelta(days=2))
    paid(user, method="yookassa", amount="2490.00", at=NOW - timedelta(days=4))
    paid(user, method="stars", amount="450", at=NOW - timedelta(days=1))
    paid(user, method="stars", amount="150", at=NOW - timedelta(hours=1), status=Payment.Status.REFUNDED)
    paid(user, method="yookassa", amount="890.00", at=None, status=Payment.Status.PENDING)
    paid(user, method="yookassa", amount="890.00", at=None, status=Payment.Status.PENDING)
    paid(user, method="yookassa", amount="890.00", at=None, status=Payment.Status.WAITING_FOR_CAPTURE)
    Heartbeat.objects.create(name="watchdog", at=NOW - timedelta(seconds=30))

    shown = dashboard.figures(User(is_superuser=True, is_active=True), now=NOW)

    assert (shown["queued"], shown["in_flight"]) == (2, 2)
    assert shown["failed"] == [("temporary", 2), ("user", 1)]
    assert shown["revenue"] == [
        ("Звёзды Telegram", "Stars", 0, Decimal("450")),
        ("ЮKassa", "₽", Decimal("890.00"), Decimal("1180.00")),
    ]
    assert shown["awaiting"] == [("Ожидает оплаты", 2), ("Ожидает подтверждения", 1)]
    assert shown["heartbeats"] == [("watchdog", NOW - timedelta(seconds=30), False), ("poller", None, True)]


def test_it_shows_the_figures_on_the_admin_index(client):
    generations(make_user(), Status.QUEUED, count=3)
    Heartbeat.beat("poller")
    client.force_login(make_support())

    page = client.get("/admin/")

    html = page.content.decode()
    assert page.status_code == 200 and 'id="dashboard"' in html
    assert page.context["dashboard"]["queued"] == 3
    assert "Last poller run" in html and "Payments awaiting confirmation" in html
    assert 'id="content-main"' in html and "/admin/accounts/telegramuser/" in html


def test_it_leaves_out_what_a_staff_member_may_not_see(client):
    client.force_login(User.objects.create_user("intern", password="pw", is_staff=True))

    html = client.get("/admin/").content.decode()

    assert "Revenue" not in html and "Queued" not in html and "Last watchdog run" in html
