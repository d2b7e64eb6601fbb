"""A circuit breaker per provider and per model of a provider, shared by all workers through the database.

When submissions fail for everyone (BREAKER_FAILURES temporary failures in a row), new submissions
pause for BREAKER_COOLDOWN_SECONDS instead of burning every queued generation's attempts; queued
generations wait, and operators are told once. One success closes it.

A provider account out of credits (KIE's 402) pauses submissions too, until a credit check passes
(`ops/watch.py`, every minute while paused): `billing_paused_at`, the account's, so every model of it.
A model whose create call answers a configuration error rests (`pause_configuration`). Each holds the
model's queue (`holds`); its orders are taken over by another model when VIDEO_FALLBACK allows.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from generations import video_models
from generations.models import ProviderHealth
from messaging import alerts

# Why a model's submissions wait (why_held's words).
REASONS = ("breaker", "configuration", "billing")


def target(provider, model=""):
    """The breaker's row of one model of a provider ("kie:veo3_fast"); the provider's own for no model."""
    return f"{provider}:{model}" if model else provider


def name(provider, model=""):
    """How operators read a breaker's target: "KIE Sora 2", "KIE nano-banana", "KIE"."""
    return f"{provider.upper()} {video_models.label(model)}" if model else provider.upper()


def is_open(provider, model=""):
    return ProviderHealth.objects.filter(provider=target(provider, model), open_until__gt=timezone.now()).exists()


def holds(provider, model=""):
    """Submissions of this model wait: the provider's or the model's breaker is open, the model's configuration
    is failing (`pause_configuration`), or the provider's account is out of credits (one account, every model)."""
    return bool(why_held(provider, model))


def why_held(provider, model=""):
    """The reasons submissions of this model wait ("breaker", "configuration", "billing"); empty when they go."""
    now = timezone.now()
    reasons = []
    for row in ProviderHealth.objects.filter(provider__in={provider, target(provider, model)}):
        if row.open_until and row.open_until > now:
            reasons.append("breaker")
        if row.config_paused_until and row.config_paused_until > now:
            reasons.append("configuration")
        if row.provider == provider and row.billing_paused_at:
            reasons.append("billing")
    return sorted(set(reasons))


def held_models(provider, keys):
    """{key: why_held(provider, key)} for several models of a provider, read in one query (for /metrics)."""
    now = timezone.now()
    rows = {
        row.provider: row
        for row in ProviderHealth.objects.filter(provider__in={provider, *(target(provider, key) for key in keys)})
    }
    account = rows.get(provider)
    held = {}
    for key in keys:
        reasons = set()
        for row in filter(None, (account, rows.get(target(provider, key)))):
            if row.open_until and row.open_until > now:
                reasons.add("breaker")
            if row.config_paused_until and row.config_paused_until > now:
                reasons.add("configuration")
            if row is account and row.billing_paused_at:
                reasons.add("billing")
        held[key] = sorted(reasons)
    return held


def pause_configuration(provider, model):
    """The model's create call answered a configuration error: it rests MODEL_CONFIG_PAUSE_SECONDS. True for
    the call that paused it (the others find it paused)."""
    name = target(provider, model)
    ProviderHealth.objects.get_or_create(provider=name)
    now = timezone.now()
    paused = (
        ProviderHealth.objects.filter(provider=name)
        .exclude(config_paused_until__gt=now)
        .update(config_paused_until=now + timedelta(seconds=settings.MODEL_CONFIG_PAUSE_SECONDS))
    )
    return bool(paused)


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


def record_failure(provider, model=""):
    """One more temporary failure in a row of this model; opens its breaker at BREAKER_FAILURES. True when it opened."""
    row = target(provider, model)
    ProviderHealth.objects.get_or_create(provider=row)
    ProviderHealth.objects.filter(provider=row).update(consecutive_failures=F("consecutive_failures") + 1)
    now = timezone.now()
    opened = (
        ProviderHealth.objects.filter(provider=row, consecutive_failures__gte=settings.BREAKER_FAILURES)
        .exclude(open_until__gt=now)
        .update(open_until=now + timedelta(seconds=settings.BREAKER_COOLDOWN_SECONDS), consecutive_failures=0)
    )
    if opened:
        alerts.alert_operators(
            f"{row}:breaker",
            f"{name(provider, model)}: submissions paused for {settings.BREAKER_COOLDOWN_SECONDS} s after "
            f"{settings.BREAKER_FAILURES} failures in a row; its queued generations wait"
            f"{' or are taken over' if settings.VIDEO_FALLBACK and model in video_models.CATALOG else ''}.",
        )
    return bool(opened)


def record_success(provider, model=""):
    provider = target(provider, model)
    ProviderHealth.objects.filter(provider=provider).exclude(
        consecutive_failures=0, open_until=None, config_paused_until=None
    ).update(consecutive_failures=0, open_until=None, config_paused_until=None)
    # Not `billing`: that pause ends with a credit check, which tells operators (ops/watch.py).
    alerts.resolve(f"{provider}:breaker", f"{provider}:configuration")
