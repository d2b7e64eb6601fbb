"""Password guessing on the staff login is throttled (django-axes): after AXES_FAILURE_LIMIT wrong passwords the
right one is refused too until the cool-off ends or an operator resets the lock. Callers are told apart the way
every view tells them apart: X-Forwarded-For only from a trusted proxy."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

from tests.staff import make_support

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def support(settings):
    # Each try hashes the password: the fast hasher keeps 30 of them from taking a minute.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_support()


def log_in(client, password, *, username="support", forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(LOGIN, {"username": username, "password": password}, headers=headers)


def logged_in(response):
    return response.status_code == 302 and response.url == "/admin/"


def test_it_refuses_the_right_password_after_30_wrong_ones(client, support):
    wrong = [log_in(client, f"guess-{n}") for n in range(30)]

    right = log_in(client, "pw")

    assert wrong[0].status_code == 200 and wrong[0].context["form"].errors
    assert right.status_code == 429 and not logged_in(right)
    assert "_auth_user_id" not in client.session


def test_it_lets_the_right_password_in_after_the_cool_off(client, support, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess-{n}")
    assert log_in(client, "pw").status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert logged_in(log_in(client, "pw"))


def test_it_lets_the_right_password_in_after_an_operator_resets_the_user(client, support, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess-{n}")

    call_command("axes_reset_username", "support")

    assert logged_in(log_in(client, "pw"))


def test_it_locks_one_address_guessing_many_usernames_whatever_x_forwarded_for_says(client, support, settings):
    settings.TRUSTED_PROXIES = []  # the test client's 127.0.0.1 is no proxy of ours: its X-Forwarded-For is a lie
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "guess", username=f"admin{n}", forwarded_for=f"198.51.100.{n}")

    right = log_in(client, "pw", forwarded_for="198.51.100.200")

    assert right.status_code == 429 and not logged_in(right)


def test_it_tells_callers_behind_our_proxy_apart(client, support, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "guess", username="admin", forwarded_for="198.51.100.7")
    assert log_in(client, "pw", forwarded_for="198.51.100.7").status_code == 429

    assert logged_in(log_in(client, "pw", forwarded_for="203.0.113.9"))
