"""`manage.py check --deploy` with the settings a production server has (deploy/, README's runbook)."""

from tests.test_configuration import manage

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "Qm3vX9-pL2rT8wYz_Kc5NhB7dF1sJ4gA6eU0oIiRtWq-ZxCvBnMlKjHgFdSaPoIuYtRe",
    "ALLOWED_HOSTS": "bot.example.com",
    "PUBLIC_BASE_URL": "https://bot.example.com",
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "TELEGRAM_WEBHOOK_SECRET": "s3cret",
    "YOOKASSA_SHOP_ID": "1",
    "YOOKASSA_SECRET_KEY": "test_x",
    "KIE_API_KEYS": "kie-key",
    "METRICS_TOKEN": "m" * 32,
    "TRUSTED_PROXIES": "127.0.0.1",
    # The defaults are what is checked, whatever the test run's own environment switched off.
    **dict.fromkeys(
        (
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
        )
    ),
}


def test_it_reports_no_issues_with_production_settings():
    run = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert run.returncode == 0, run.stderr
    assert "System check identified no issues (0 silenced)." in run.stdout


def test_it_reports_a_switched_off_https_redirect_and_hsts():
    run = manage("check", "--deploy", **{**PRODUCTION, "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0"})

    assert "security.W008" in run.stderr and "security.W004" in run.stderr


def test_it_leaves_the_redirect_off_where_there_is_no_https_address():
    run = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)",
        **{**PRODUCTION, "PUBLIC_BASE_URL": ""},
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "False"
