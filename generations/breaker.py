"""A circuit breaker per provider, shared by all workers through the database.

When submissions fail for everyone (BREAKER_FAILURES temporary failures in a row), new submissions
pause for BREAKER_COOLDOWN_SECONDS instead of burning every queued generation's attempts; queued
generations wait, and operators are told once. One success closes it.

A provider account out of credits (KIE's 402) pauses submissions too, until a credit check passes
(`ops/watch.py`, every minute while paused): `billing_paused_at`. Both hold the queue: `holds`.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from generations.models import ProviderHealth
from messaging import alerts


def is_open(provider):
    return ProviderHealth.objects.filter(provider=provider, open_until__gt=timezone.now()).exists()


def holds(provider):
    """Submissions wait: the breaker is open or the account is out of credits."""
    return (
        ProviderHealth.objects.filter(provider=provider)
        .filter(Q(open_until__gt=timezone.now()) | Q(billing_paused_at__isnull=False))
        .exists()
    )


def pause_billing(provider):
    """The account answered "out of credits": pause submissions. True for the call that paused them."""
    ProviderHealth.objects.get_or_create(provider=provider)
    return bool(
        ProviderHealth.objects.filter(provider=provider, billing_paused_at__isnull=True).update(
            billing_paused_at=timezone.now()
        )
    )


def billing_paused():
    """{provider: paused since} of the accounts out of credits."""
    return dict(
        ProviderHealth.objects.filter(billing_paused_at__isnull=False).values_list("provider", "billing_paused_at")
    )


def resume_billing(provider, paused_at):
    """A credit check passed: submissions go again. True for the one call that ended this pause."""
    return bool(
        ProviderHealth.objects.filter(provider=provider, billing_paused_at=paused_at).update(billing_paused_at=None)
    )


def record_failure(provider):
    ProviderHealth.objects.get_or_create(provider=provider)
    ProviderHealth.objects.filter(provider=provider).update(consecutive_failures=F("consecutive_failures") + 1)
    now = timezone.now()
    opened = (
        ProviderHealth.objects.filter(provider=provider, consecutive_failures__gte=settings.BREAKER_FAILURES)
        .exclude(open_until__gt=now)
        .update(open_until=now + timedelta(seconds=settings.BREAKER_COOLDOWN_SECONDS), consecutive_failures=0)
    )
    if opened:
        alerts.alert_operators(
            f"{provider}:breaker",
            f"{provider} failed {settings.BREAKER_FAILURES} times in a row: submissions paused for "
            f"{settings.BREAKER_COOLDOWN_SECONDS} s; queued generations wait.",
        )
    return bool(opened)


def record_success(provider):
    ProviderHealth.objects.filter(provider=provider).exclude(consecutive_failures=0, open_until=None).update(
        consecutive_failures=0, open_until=None
    )
    # Not `billing`: that pause ends with a credit check, which tells operators (ops/watch.py).
    alerts.resolve(f"{provider}:breaker", f"{provider}:configuration")
