"""Test configuration: PostgreSQL when reachable (or named by DATABASE_URL), SQLite otherwise."""

import os

import pytest

DEFAULT_POSTGRES_URL = "postgres://neurocards:neurocards@127.0.0.1:5432/neurocards"
_skipped_for_postgres = []


def _postgres_reachable(url):
    try:
        import psycopg
    except ImportError:
        return False
    try:
        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def pytest_configure(config):
    # Runs before pytest-django sets Django up, so these reach the one settings module.
    os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
    os.environ.setdefault("Q_SYNC", "true")
    # Threads of the live test server must not keep connections open: the test database is dropped.
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    # The test client speaks plain http: never redirect it, whatever a developer's .env says.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    # Balances in tests start at zero; the welcome grant and its default are tested where they matter
    # (tests/test_bot_welcome.py).
    os.environ.setdefault("WELCOME_CREDITS", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neurocards.settings")
    if "DATABASE_URL" not in os.environ:
        url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        if _postgres_reachable(url):
            os.environ["DATABASE_URL"] = url
    from django.conf import settings

    settings.DATABASES  # noqa: B018  (loads the settings now)
    # The admin's second factor is off for the tests' staff (on by default with DEBUG off); the tests of the
    # second factor turn it on (tests/test_admin_second_factor.py). Set here, not in the environment, so the
    # `manage.py check` subprocesses see the production default.
    settings.ADMIN_REQUIRE_OTP = False


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    needing = [item for item in items if item.get_closest_marker("postgres")]
    if needing and os.environ.get("REQUIRE_POSTGRES"):
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES is set but the tests run on {connection.vendor}: "
            f"{len(needing)} PostgreSQL-only tests would be skipped. Set DATABASE_URL to PostgreSQL."
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL or start a local server)")
    for item in needing:
        item.add_marker(skip)
        _skipped_for_postgres.append(item.nodeid)


def pytest_terminal_summary(terminalreporter):
    if _skipped_for_postgres:
        terminalreporter.section("SKIPPED: PostgreSQL-only tests", sep="!", red=True, bold=True)
        for nodeid in _skipped_for_postgres:
            terminalreporter.write_line(f"  {nodeid}", red=True)
        terminalreporter.write_line(
            f"{len(_skipped_for_postgres)} tests did not run: they need PostgreSQL.", red=True, bold=True
        )
