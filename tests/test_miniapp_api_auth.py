"""Who may call the Mini App's API: only the holder of initData Telegram signed for this bot, recently."""

import time

import pytest
from django.db import OperationalError

from tests.factories import make_user
from tests.fakes.telegram import FakeTelegram
from tests.tma import header, init_data

pytestmark = pytest.mark.django_db

API = "/miniapp/api"


@pytest.fixture(autouse=True)
def bot_token(settings):
    settings.TELEGRAM_BOT_TOKEN = FakeTelegram.TOKEN


@pytest.fixture
def seller():
    return make_user(credits=20, telegram_id=5550001)


def test_it_answers_a_signed_call_with_the_users_own_data(client, seller):
    answer = client.get(f"{API}/me", **header(seller, first_name="Анна"))

    assert answer.status_code == 200
    assert answer.json()["balance"] == 20
    assert answer["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "tma",
        "tma ",
        "Bearer abc",
        "tma junk",
        "TMA " + "x",
    ],
)
def test_it_answers_401_without_a_tma_header(client, seller, authorization):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    answer = client.get(f"{API}/me", **extra)

    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized"}


def test_it_answers_401_to_a_forged_string(client, seller):
    raw = init_data(seller.telegram_id).replace("5550001", "5550002")

    answer = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"tma {raw}")

    assert answer.status_code == 401


def test_it_answers_401_to_data_signed_for_another_bot(client, seller):
    answer = client.get(f"{API}/me", **header(seller, token="987654321:ANOTHER-bot-token"))

    assert answer.status_code == 401


def test_it_answers_401_to_a_stale_string(client, seller, settings):
    settings.MINIAPP_MAX_AGE_SECONDS = 600

    answer = client.get(f"{API}/me", **header(seller, auth_date=int(time.time()) - 601))

    assert answer.status_code == 401


def test_it_answers_401_to_a_user_blocked_by_staff(client):
    blocked = make_user(telegram_id=5550003, is_blocked=True)

    assert client.get(f"{API}/me", **header(blocked)).json() == {"error": "unauthorized"}


def test_it_sends_a_user_the_bot_never_met_to_the_chat_first(client):
    answer = client.get(f"{API}/me", **header(5550999, language_code="en"))

    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert "press Start" in answer.json()["message"]


def test_it_reads_no_cookie_a_logged_in_staff_session_is_not_a_user(client, seller):
    from tests.staff import make_support

    client.force_login(make_support())

    assert client.get(f"{API}/me").status_code == 401
    assert client.post(f"{API}/buy", {"pack": 1, "method": "stars"}, content_type="application/json").status_code == 401


def test_it_needs_no_csrf_token_the_header_is_the_proof(seller):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    answer = strict.post(f"{API}/generations/1/cancel", **header(seller))

    assert answer.status_code == 404  # past the CSRF check and the auth: the id is simply not theirs


def test_it_wants_a_fresher_string_for_buying(client, seller, settings):
    settings.MINIAPP_BUY_MAX_AGE_SECONDS = 3600
    an_hour_and_a_bit = int(time.time()) - 3700

    assert client.get(f"{API}/me", **header(seller, auth_date=an_hour_and_a_bit)).status_code == 200
    answer = client.post(
        f"{API}/buy",
        {"pack": 1, "method": "stars"},
        content_type="application/json",
        **header(seller, auth_date=an_hour_and_a_bit),
    )
    assert answer.status_code == 401


def test_it_speaks_the_language_of_the_signed_user(client, seller):
    russian = client.post(f"{API}/generations/999/cancel", **header(seller, language_code="ru"))
    english = client.get(f"{API}/me", **header(seller, language_code="en-GB"))

    assert russian.status_code == 404
    assert english.json()["user"]["language"] == "en"
    assert client.get(f"{API}/me", **header(seller, language_code="de")).json()["user"]["language"] == "ru"


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "gallery?page=0", None),
        ("get", "gallery?page=-1", None),
        ("get", "gallery?page=abc", None),
        ("get", "gallery?page=99999999999999999999", None),
        ("get", "history?page=1.5", None),
        ("post", "buy", "not json"),
        ("post", "buy", "[]"),
        ("post", "buy", '{"pack": "1", "method": "stars"}'),
        ("post", "buy", '{"pack": true, "method": "stars"}'),
        ("post", "buy", '{"pack": 1, "method": "bitcoin"}'),
        ("post", "buy", '{"pack": 99999999999999999999999, "method": "stars"}'),
        ("post", "buy", '{"pack": 1}'),
        ("post", "buy", "[" * 100 + "]" * 100),
        ("post", "buy", "\xff\xfe"),
    ],
)
def test_it_answers_400_to_junk(client, seller, method, path, body):
    call = getattr(client, method)
    extra = {"data": body, "content_type": "application/json"} if body is not None else {}

    answer = call(f"{API}/{path}", **extra, **header(seller))

    assert answer.status_code == 400
    assert answer.json() == {"error": "bad_request"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "generations/99999999999999999999/cancel"),
        ("post", "generations/abc/send"),
        ("post", "generations/-1/again"),
        ("get", "payments/not-a-uuid"),
        ("get", "payments/00000000-0000-0000-0000-000000000000"),
        ("get", "nothing-here"),
        ("get", "thumbs/1.forged.token"),
        ("get", "thumbs/%00"),
        ("get", ""),
    ],
)
def test_it_answers_a_json_404_to_what_is_not_there(client, seller, method, path):
    answer = getattr(client, method)(f"{API}/{path}", **header(seller))

    assert answer.status_code == 404
    assert answer.json() == {"error": "not_found"}


def test_it_answers_a_json_405_to_a_wrong_method(client, seller):
    answer = client.delete(f"{API}/me", **header(seller))

    assert answer.status_code == 405
    assert answer.json() == {"error": "method_not_allowed"}
    assert client.get(f"{API}/generations/1/cancel", **header(seller)).status_code == 405


@pytest.mark.parametrize(
    "failure, status, code",
    [
        (OperationalError("server closed the connection"), 503, "unavailable"),
        (RuntimeError("a bug"), 500, "server_error"),
    ],
)
def test_it_answers_json_even_when_something_breaks(client, seller, monkeypatch, failure, status, code):
    class Broken:
        class objects:  # noqa: N801  (stands in for a model's manager)
            @staticmethod
            def filter(**lookups):
                raise failure

    monkeypatch.setattr("miniapp.api.CreditPack", Broken)

    answer = client.get(f"{API}/me", **header(seller))

    assert (answer.status_code, answer.json()) == (status, {"error": code})
