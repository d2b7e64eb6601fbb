"""Settings and system checks, run as a fresh process would see them."""

import os
import subprocess
import sys

from django.conf import settings

FEATURES = {
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "TELEGRAM_WEBHOOK_SECRET": "s3cret",
    "YOOKASSA_SHOP_ID": "1",
    "YOOKASSA_SECRET_KEY": "test_x",
    "PUBLIC_BASE_URL": "https://bot.example.com",
}


def manage(*args, **env):
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TELEGRAM_", "KIE_", "YOOKASSA_", "GENERATION_"))
    }
    base.update(SECRET_KEY="x" * 50, DATABASE_URL="sqlite:///:memory:")
    base.update(env)
    base = {key: value for key, value in base.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_stops_start_up_without_a_secret_key_when_debug_is_off():
    run = manage("check", SECRET_KEY=None, DJANGO_DEBUG="false", **FEATURES)

    assert run.returncode != 0
    assert "SECRET_KEY is required when DJANGO_DEBUG is off" in run.stderr


def test_it_passes_the_checks_when_every_feature_is_configured():
    run = manage("check", DJANGO_DEBUG="false", **FEATURES)

    assert run.returncode == 0, run.stderr
    assert "no issues" in run.stdout


def test_it_names_the_missing_telegram_variables_and_stops_in_production():
    run = manage("check", DJANGO_DEBUG="false", **{**FEATURES, "TELEGRAM_BOT_TOKEN": None})

    assert run.returncode != 0
    assert "neurocards.E001" in run.stderr and "TELEGRAM_BOT_TOKEN is empty" in run.stderr


def test_it_only_warns_of_missing_secrets_in_debug():
    run = manage("check", DJANGO_DEBUG="true", SECRET_KEY=None)

    assert run.returncode == 0, run.stderr
    assert "neurocards.W001" in run.stderr and "neurocards.W004" in run.stderr


def test_it_names_kie_api_keys_when_kie_is_chosen_without_keys():
    run = manage("check", DJANGO_DEBUG="false", GENERATION_PROVIDER="kie", **FEATURES)

    assert run.returncode != 0
    assert "KIE_API_KEYS is empty" in run.stderr


def test_it_skips_yookassa_when_it_is_not_a_payment_method():
    env = {**FEATURES, "YOOKASSA_SHOP_ID": None, "YOOKASSA_SECRET_KEY": None}
    run = manage("check", DJANGO_DEBUG="false", PAYMENT_METHODS="stars", **env)

    assert run.returncode == 0, run.stderr


def test_it_has_complete_migrations():
    run = manage("makemigrations", "--check", "--dry-run", DJANGO_DEBUG="true")

    assert run.returncode == 0, run.stdout + run.stderr


def test_it_takes_yookassas_published_senders_when_the_allow_list_is_left_empty():
    show = "from django.conf import settings; print(len(settings.YOOKASSA_ALLOWED_IPS))"

    empty = manage("shell", "-c", show, DJANGO_DEBUG="true", YOOKASSA_ALLOWED_IPS="")
    own = manage("shell", "-c", show, DJANGO_DEBUG="true", YOOKASSA_ALLOWED_IPS="10.0.0.1")

    assert empty.stdout.split()[-1] == "7", empty.stderr
    assert own.stdout.split()[-1] == "1", own.stderr
