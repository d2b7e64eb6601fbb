"""Start-up checks on values that would run wrongly: errors with DEBUG off (manage.py and the ASGI app stop),
warnings in debug. Each message names the variable, never a secret's value."""

import pytest
from django.conf import settings

from neurocards import checks
from tests.test_configuration import FEATURES, manage

PRODUCTION = {"DJANGO_DEBUG": "false", **FEATURES}


def example_values():
    """.env.example as shipped: {name: value}."""
    lines = (settings.BASE_DIR / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_it_passes_the_shipped_defaults_and_zero_where_zero_means_off():
    zeros = ("WELCOME_CREDITS", "KIE_MIN_CREDITS", "REFERRAL_WELCOME_CREDITS", "REFERRAL_REWARD_PERCENT")
    run = manage(
        "check", **dict.fromkeys(zeros, "0"), REFERRAL_REWARDED_PAYMENTS="0", REFERRAL_DAILY_CAP="0", **PRODUCTION
    )

    assert run.returncode == 0, run.stderr
    assert "no issues" in run.stdout


@pytest.mark.parametrize(
    "name, value",
    [
        ("VIDEO_COST", "0"),
        ("IMAGE_COST", "-3"),
        ("MAX_QUEUE_SIZE", "0"),
        ("WELCOME_CREDITS", "-1"),
        ("REFERRAL_DAILY_CAP", "-5"),
        ("REFERRAL_WELCOME_CREDITS", "-1"),
        ("PROMO_TRIES_PER_HOUR", "0"),
        ("TELEGRAM_MESSAGES_PER_SECOND", "0"),
        ("Q_WORKERS", "0"),
    ],
)
def test_it_stops_on_a_cost_or_limit_out_of_range(name, value):
    run = manage("check", **{**PRODUCTION, name: value})

    assert run.returncode != 0
    assert "neurocards.E101" in run.stderr and name in run.stderr


def test_it_only_warns_of_a_limit_out_of_range_in_debug():
    run = manage("check", DJANGO_DEBUG="true", VIDEO_COST="0")

    assert run.returncode == 0, run.stderr
    assert "neurocards.W101" in run.stderr and "VIDEO_COST" in run.stderr


@pytest.mark.parametrize("secret", ["s3cret!", "кириллица", "x" * 257])
def test_it_stops_on_a_webhook_secret_telegram_would_refuse(secret):
    run = manage("check", **{**PRODUCTION, "TELEGRAM_WEBHOOK_SECRET": secret})

    assert run.returncode != 0
    assert "neurocards.E102" in run.stderr and secret not in run.stderr


def test_it_takes_every_character_telegram_allows_in_the_webhook_secret():
    run = manage("check", **{**PRODUCTION, "TELEGRAM_WEBHOOK_SECRET": "Az09_-" + "x" * 250})

    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("url", ["http://bot.example.com", "bot.example.com", "https://"])
def test_it_stops_on_a_public_address_that_is_not_https(url):
    run = manage("check", **{**PRODUCTION, "PUBLIC_BASE_URL": url})

    assert run.returncode != 0 and "neurocards.E103" in run.stderr


def test_it_only_warns_of_an_http_public_address_in_debug():
    run = manage("check", DJANGO_DEBUG="true", PUBLIC_BASE_URL="http://localhost:8000")

    assert run.returncode == 0 and "neurocards.W103" in run.stderr


def test_it_stops_without_a_public_address_when_yookassa_needs_it_for_the_return_page():
    run = manage("check", **{**PRODUCTION, "PUBLIC_BASE_URL": ""})

    assert run.returncode != 0 and "neurocards.E106" in run.stderr


def test_it_only_warns_without_a_public_address_when_nothing_but_the_webhook_needs_it():
    run = manage("check", **{**PRODUCTION, "PUBLIC_BASE_URL": "", "PAYMENT_METHODS": "stars"})

    assert run.returncode == 0, run.stderr
    assert "neurocards.W106" in run.stderr


def test_it_knows_every_placeholder_env_example_ships_for_a_secret():
    shipped = {name: value for name, value in example_values().items() if name in checks.SECRETS and value}

    assert set(shipped) >= {
        "SECRET_KEY",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "YOOKASSA_SHOP_ID",
        "YOOKASSA_SECRET_KEY",
        "METRICS_TOKEN",
    }
    assert [name for name, value in shipped.items() if not checks.is_placeholder(value)] == []


def test_it_stops_on_each_placeholder_of_env_example():
    shipped = {name: value for name, value in example_values().items() if name in checks.SECRETS and value}

    for name, value in shipped.items():
        run = manage("check", **{**PRODUCTION, "METRICS_TOKEN": "m" * 32, name: value})

        assert run.returncode != 0, name
        assert "neurocards.E104" in run.stderr and name in run.stderr


def test_it_refuses_a_placeholder_among_the_kie_keys():
    run = manage("check", **{**PRODUCTION, "KIE_API_KEYS": "real-key-1,placeholder-key"})

    assert run.returncode != 0 and "KIE_API_KEYS" in run.stderr


@pytest.mark.parametrize("token, stops", [("m" * 31, True), ("m" * 32, False)])
def test_it_wants_a_metrics_token_of_at_least_32_characters(token, stops):
    run = manage("check", **{**PRODUCTION, "METRICS_TOKEN": token})

    assert (run.returncode != 0, "neurocards.E105" in run.stderr) == (stops, stops), run.stderr
    assert token not in run.stderr


def test_it_keeps_the_asgi_app_from_starting_on_such_an_error():
    run = manage("shell", "-c", "import neurocards.asgi", **{**PRODUCTION, "VIDEO_COST": "0"})

    assert run.returncode != 0
    assert "neurocards.E101: Costs and limits out of range: VIDEO_COST." in run.stderr
