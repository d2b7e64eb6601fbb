"""/metrics in the Prometheus text format (0.0.4): counts read from the database at scrape time, plus the
shared samples (counters added by every process, gauges set by schedules)."""

import math
import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import TelegramUser
from billing.models import CreditTransaction, Payment, PromoRedemption, WebhookEvent
from botapp.models import ProcessedUpdate
from generations import breaker, video_models
from generations.models import Generation, ProviderHealth
from generations.providers import PROVIDERS
from messaging import alerts
from neurocards.metrics import counters
from neurocards.metrics.models import Sample
from neurocards.models import Heartbeat
from ops.health import broker_queue

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Families whose samples live in the Sample table: (type, help).
STORED = {
    "neurocards_telegram_messages_sent_total": ("counter", "Messages the workers' sender delivered to Telegram."),
    "neurocards_telegram_429_total": ("counter", "Telegram answers 429 Too Many Requests to the workers' sender."),
    counters.PROVIDER_LATENCY: ("histogram", "Duration of one HTTP call to the generation provider."),
    "neurocards_kie_credits": ("gauge", "Credits left on the KIE account (read every 10 minutes)."),
    "neurocards_ledger_mismatches": ("gauge", "Users whose ledger does not sum to their balance (last audit)."),
}
BUCKETS = {counters.PROVIDER_LATENCY: counters.PROVIDER_BUCKETS}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
LE = re.compile(r'(?:^|,)le="([^"]*)"')


class Family:
    def __init__(self, name, kind, help_text):
        self.name, self.kind, self.help = name, kind, help_text
        self.samples = []  # (name with suffix, rendered labels, value)

    def add(self, value, suffix="", **labels):
        self.samples.append((self.name + suffix, counters.render_labels(labels), value))
        return self

    def lines(self):
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for name, labels, value in self.samples:
            yield f"{name}{{{labels}}} {_number(value)}" if labels else f"{name} {_number(value)}"


def render():
    counters.flush()  # this process's own counts, so a scrape right after them sees them
    families = [*_from_database(), *_stored()]
    return "\n".join(line for family in families for line in family.lines()) + "\n"


def _from_database():
    now = timezone.now()
    updates = Family(
        "neurocards_telegram_updates",
        "gauge",
        f"Update ids recorded (handled once); kept {settings.UPDATE_ID_TTL_DAYS} days.",
    )
    updates.add(ProcessedUpdate.objects.count(), window="retention")
    updates.add(ProcessedUpdate.objects.filter(received_at__gte=now - timedelta(hours=1)).count(), window="1h")
    yield updates

    counts = _grouped(Generation.objects, "kind", "status")
    generations = Family("neurocards_generations", "gauge", "Generations by kind and status.")
    for kind in Generation.Kind.values:
        for status in Generation.Status.values:
            generations.add(counts.get((kind, status), 0), kind=kind, status=status)
    yield generations

    failed = Family("neurocards_generations_failed", "gauge", "Failed generations by error class.")
    for (error_class,), count in sorted(_grouped(Generation.objects.filter(status="failed"), "error_class").items()):
        failed.add(count, error_class=error_class or "unknown")
    yield failed

    yield from _by_model(now)

    yield from _queue()

    counts = _grouped(Payment.objects, "method", "status")
    payments = Family("neurocards_payments", "gauge", "Payments by method and status.")
    for method in Payment.Method.values:
        for status in Payment.Status.values:
            payments.add(counts.get((method, status), 0), method=method, status=status)
    yield payments

    yield from _growth()

    heartbeats = Family("neurocards_heartbeat_age_seconds", "gauge", "Seconds since a periodic job last ran.")
    for name, at in Heartbeat.objects.order_by("name").values_list("name", "at"):
        heartbeats.add(round((now - at).total_seconds(), 3), name=name)
    yield heartbeats

    yield Family("neurocards_alerts_open", "gauge", "Incidents operators were alerted to and not resolved.").add(
        alerts.open_incidents().count()
    )

    # Every provider appears (0 when healthy), so a rule on it never sees an absent series.
    paused = Family(
        "neurocards_provider_paused",
        "gauge",
        "1 while submissions to a provider wait: its circuit breaker is open, or its account is out of credits.",
    )
    health = {row.provider: row for row in ProviderHealth.objects.filter(provider__in=PROVIDERS)}
    for provider in sorted(PROVIDERS):
        row = health.get(provider)
        paused.add(int(bool(row and row.open_until and row.open_until > now)), provider=provider, reason="breaker")
        paused.add(int(bool(row and row.billing_paused_at)), provider=provider, reason="billing")
    yield paused

    yield Family(
        "neurocards_generations_past_deadline",
        "gauge",
        "Submitting or processing generations whose deadline passed (the watchdog fails them every minute).",
    ).add(
        Generation.objects.filter(
            status__in=[Generation.Status.SUBMITTING, Generation.Status.PROCESSING], timeout_at__lt=now
        ).count()
    )

    yield Family(
        "neurocards_yookassa_notifications_failed",
        "gauge",
        "YooKassa notifications whose handling failed in the last hour.",
    ).add(
        WebhookEvent.objects.filter(
            provider="yookassa", status=WebhookEvent.Status.FAILED, received_at__gte=now - timedelta(hours=1)
        ).count(),
        window="1h",
    )


def _by_model(now):
    # Every enabled video model and the cards' model appear (0 before their first row), so a rule on one never
    # sees an absent series; a model turned off since still shows while it has rows.
    enabled = [model.key for model in video_models.enabled()]
    counts = _grouped(Generation.objects, "model", "status")
    models = dict.fromkeys([*enabled, video_models.IMAGE_MODEL, *sorted(model for model, _ in counts)])
    by_model = Family("neurocards_generations_by_model", "gauge", "Generations by the model making them and status.")
    for model in models:
        for status in Generation.Status.values:
            by_model.add(counts.get((model, status), 0), model=model or "unknown", status=status)
    yield by_model

    # Made by another model than the one the seller chose, its own paused (VIDEO_FALLBACK), by the chosen one.
    taken_over = Family(
        "neurocards_generations_taken_over",
        "gauge",
        "Generations ordered in the window that another model than the one the seller chose made (take-overs).",
    )
    windows = {"1h": now - timedelta(hours=1), "24h": now - timedelta(hours=24)}
    counts = (
        Generation.objects.filter(created_at__gte=windows["24h"])
        .exclude(ordered_model="")
        .exclude(model=F("ordered_model"))
        .order_by()
        .values("ordered_model")
        .annotate(**{window: Count("pk", filter=Q(created_at__gte=since)) for window, since in windows.items()})
    )
    counts = {row["ordered_model"]: row for row in counts}
    for model in dict.fromkeys([*enabled, *sorted(counts)]):
        for window in windows:
            taken_over.add(counts.get(model, {}).get(window, 0), ordered_model=model, window=window)
    yield taken_over

    # As breaker.why_held sees them, every enabled video model and reason present (0 when it goes).
    paused = Family(
        "neurocards_model_paused",
        "gauge",
        "1 while a video model's submissions wait: its breaker or its provider's is open, its configuration is "
        "failing, or the provider's account is out of credits.",
    )
    held = breaker.held_models(settings.GENERATION_PROVIDER, enabled)
    for model in enabled:
        for reason in breaker.REASONS:
            paused.add(int(reason in held[model]), model=model, reason=reason)
    yield paused


def _growth():
    # Every kind appears (0 before its first row), so a rule on one never sees an absent series. Amounts are
    # as the ledger holds them: charges, revokes and take-backs negative.
    sums = dict(CreditTransaction.objects.order_by().values_list("kind").annotate(total=Sum("amount")))
    credits = Family("neurocards_ledger_credits", "gauge", "Credits the ledger moved, by kind, since the start.")
    for kind in CreditTransaction.Kind.values:
        credits.add(sums.get(kind) or 0, kind=kind)
    yield credits

    users = TelegramUser.objects.aggregate(
        invited=Count("pk", filter=Q(referred_by__isnull=False)),
        campaign=Count("pk", filter=~Q(campaign="")),
    )
    arrived = Family("neurocards_users_arrived_by", "gauge", "Users who came by an invite link or a campaign link.")
    arrived.add(users["invited"], link="invite").add(users["campaign"], link="campaign")
    yield arrived

    yield Family("neurocards_promo_redemptions", "gauge", "Promo codes redeemed, all codes.").add(
        PromoRedemption.objects.count()
    )


def _queue():
    waiting, in_flight = broker_queue()
    family = Family(
        "neurocards_queue_depth",
        "gauge",
        "Tasks at the django-q2 broker: waiting, and taken by a worker (the ORM broker only).",
    )
    family.add(waiting, state="waiting")
    if in_flight is not None:
        family.add(in_flight, state="in_flight")
    yield family


def _stored():
    families, histograms = {}, {}
    for name, labels, value in Sample.objects.order_by("name", "labels").values_list("name", "labels", "value"):
        base = _family_name(name)
        if base not in STORED:
            continue
        kind, help_text = STORED[base]
        if kind != "histogram":
            families.setdefault(base, Family(base, kind, help_text)).samples.append((name, labels, value))
            continue
        series = histograms.setdefault((base, LE.sub("", labels).strip(",")), {"_sum": 0, "_count": 0})
        le = LE.search(labels)
        series[le.group(1) if le else name.removeprefix(base)] = value
    for (base, labels), counts in sorted(histograms.items()):
        family = families.setdefault(base, Family(base, "histogram", STORED[base][1]))
        family.samples.extend(_histogram_samples(base, labels, counts))
    return families.values()


def _histogram_samples(base, labels, counts):
    # Each bucket counted on its own in the table; Prometheus wants every bucket, each including those
    # below it. Bounds no longer configured still count, in their place.
    seen = {key for key in counts if key not in ("_sum", "_count")}
    bounds = sorted({counters.bound_label(bound) for bound in BUCKETS[base]} | seen | {"+Inf"}, key=float)
    running = 0
    for le in bounds:
        running += counts.get(le, 0)
        yield f"{base}_bucket", ",".join(filter(None, (labels, f'le="{le}"'))), running
    yield f"{base}_sum", labels, counts["_sum"]
    yield f"{base}_count", labels, counts["_count"]


def _family_name(name):
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and STORED.get(base, ("",))[0] == "histogram":
            return base
    return name


def _grouped(queryset, *fields):
    return {
        tuple(row[field] for field in fields): row["n"]
        for row in queryset.order_by().values(*fields).annotate(n=Count("pk"))
    }


def _number(value):
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))
