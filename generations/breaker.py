"""A circuit breaker per provider, shared by all workers through the database.

When submissions fail for everyone (BREAKER_FAILURES temporary failures in a row), new submissions
pause for BREAKER_COOLDOWN_SECONDS instead of burning every queued generation's attempts; queued
generations wait, and operators are told once. One success closes it.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from generations.models import ProviderHealth
from messaging import alerts


def is_open(provider):
    return ProviderHealth.objects.filter(provider=provider, open_until__gt=timezone.now()).exists()


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
    alerts.resolve(f"{provider}:breaker", f"{provider}:billing", f"{provider}:configuration")
