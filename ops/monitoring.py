"""Schedules that look after the deployment: numbers /metrics reads, and one alert per incident."""

import logging
import time

from django.conf import settings

from billing import ledger
from generations.providers import get_provider
from generations.providers.base import ProviderError
from messaging import alerts
from neurocards.metrics import counters
from neurocards.models import Heartbeat
from ops import health

log = logging.getLogger(__name__)

# The service checks run every 10 minutes: an error younger than that is news.
WEBHOOK_ERROR_SECONDS = 15 * 60


def audit_ledger():
    """Every few minutes: the full ledger scan, so that a scrape reads a number instead of scanning."""
    mismatches = len(ledger.find_mismatches())
    counters.set_gauge("neurocards_ledger_mismatches", mismatches)
    if mismatches:
        alerts.alert_operators(
            "ledger:mismatch", f"{mismatches} users' ledgers do not sum to their balance: see manage.py check_ledger."
        )
    else:
        alerts.resolve("ledger:mismatch")
    Heartbeat.beat("ledger-audit")
    log.info("ledger audit: %s mismatches", mismatches)
    return f"ledger audit: {mismatches} mismatches"


def check_services():
    """Every 10 minutes: the KIE account's credits and Telegram's webhook deliveries."""
    parts = []
    if settings.GENERATION_PROVIDER == "kie":
        parts.append(_kie_credits())
    if settings.TELEGRAM_BOT_TOKEN:
        parts.append(_webhook_deliveries())
    Heartbeat.beat("service-checks")
    summary = ", ".join(parts) or "nothing to check"
    log.info("service checks: %s", summary)
    return f"service checks: {summary}"


def _kie_credits():
    try:
        credits = float(get_provider().credits())
    except (ProviderError, TypeError, ValueError) as error:
        log.warning("kie credits not read: %s", getattr(error, "error_class", type(error).__name__))
        return "kie credits unknown"
    counters.set_gauge("neurocards_kie_credits", credits)
    if credits < settings.KIE_MIN_CREDITS:
        alerts.alert_operators(
            "kie:credits",
            f"KIE credits are low: {credits:g} left, the threshold is {settings.KIE_MIN_CREDITS}. "
            "Top the account up before generations fail.",
        )
    else:
        alerts.resolve("kie:credits")
    return f"kie credits {credits:g}"


def _webhook_deliveries():
    info = health.webhook_info()
    if "error" in info:
        return "webhook unknown"
    failed_at = info.get("last_error_date") or 0
    if time.time() - failed_at < WEBHOOK_ERROR_SECONDS:
        alerts.alert_operators(
            "telegram:webhook",
            f"Telegram cannot deliver updates to the webhook: {info.get('last_error_message')} "
            f"({info.get('pending_update_count') or 0} waiting).",
        )
        return "webhook failing"
    alerts.resolve("telegram:webhook")
    return "webhook ok"
