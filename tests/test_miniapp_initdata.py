import json
import time
from urllib.parse import parse_qsl, urlencode

import pytest

from miniapp import initdata
from tests.fakes.telegram import FakeTelegram
from tests.tma import init_data

TOKEN = FakeTelegram.TOKEN
DAY = 86400


def check(raw, *, token=TOKEN, max_age=DAY, now=None):
    return initdata.validate(raw, bot_token=token, max_age=max_age, now=now)


def changed(raw, **fields):
    """The same string with some fields changed and the old hash kept."""
    values = dict(parse_qsl(raw))
    values.update(fields)
    return urlencode(values)


def test_it_accepts_what_telegram_signed_and_returns_the_user():
    fields = check(init_data(42, language_code="en", first_name="Ann"))

    assert fields["user"]["id"] == 42 and fields["user"]["first_name"] == "Ann"
    assert fields["user"]["language_code"] == "en"
    assert isinstance(fields["auth_date"], int) and "hash" not in fields


def test_it_checks_every_field_it_was_given_including_optional_ones():
    raw = init_data(42, chat_instance="-123", chat_type="sender", start_param="gallery", signature="c2lnbmVk")

    assert check(raw)["start_param"] == "gallery"


def test_it_matches_the_documented_algorithm_computed_by_hand():
    import hashlib
    import hmac

    auth_date = str(int(time.time()))
    user = json.dumps({"id": 7, "first_name": "A"})
    check_string = f"auth_date={auth_date}\nquery_id=Q\nuser={user}"
    key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, check_string.encode(), hashlib.sha256).hexdigest()
    raw = urlencode({"query_id": "Q", "user": user, "auth_date": auth_date, "hash": digest})

    assert check(raw)["user"]["id"] == 7


@pytest.mark.parametrize(
    "field, value",
    [
        ("user", json.dumps({"id": 43, "first_name": "Анна", "language_code": "ru"})),
        ("auth_date", str(int(time.time()) - 5)),
        ("query_id", "AAAnother"),
        ("start_param", "added"),
    ],
)
def test_it_refuses_an_altered_or_added_field(field, value):
    with pytest.raises(initdata.InvalidInitData):
        check(changed(init_data(42), **{field: value}))


def test_it_refuses_an_altered_hash():
    raw = init_data(42)
    digest = dict(parse_qsl(raw))["hash"]
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]

    with pytest.raises(initdata.InvalidInitData):
        check(changed(raw, hash=flipped))


def test_it_refuses_a_missing_hash():
    values = dict(parse_qsl(init_data(42)))
    del values["hash"]

    with pytest.raises(initdata.InvalidInitData):
        check(urlencode(values))


def test_it_refuses_an_old_auth_date_and_takes_one_within_the_max_age():
    now = time.time()
    raw = init_data(42, auth_date=int(now) - DAY - 1)

    with pytest.raises(initdata.InvalidInitData):
        check(raw, now=now)
    assert check(init_data(42, auth_date=int(now) - DAY + 60), now=now)["user"]["id"] == 42
    with pytest.raises(initdata.InvalidInitData):
        check(init_data(42, auth_date=int(now) - 3700), max_age=3600, now=now)


def test_it_refuses_an_auth_date_from_the_future_beyond_a_small_skew():
    now = time.time()

    assert check(init_data(42, auth_date=int(now) + 10), now=now)
    with pytest.raises(initdata.InvalidInitData):
        check(init_data(42, auth_date=int(now) + 3600), now=now)


def test_it_refuses_data_signed_with_another_bots_token():
    raw = init_data(42, token="987654321:ANOTHER-bot-token")

    with pytest.raises(initdata.InvalidInitData):
        check(raw)


def test_it_refuses_everything_without_a_configured_token():
    with pytest.raises(initdata.InvalidInitData):
        check(init_data(42, token=""), token="")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "junk",
        "hash=",
        "=&=",
        "a=1&&b",
        "hash=" + "0" * 64,
        "user=%7B&auth_date=1&hash=" + "z" * 64,
        "%ff%fe=%80&hash=" + "0" * 64,
        "x" * 10_000,
        None,
        b"query_id=1",
        "user=1&user=2&hash=" + "0" * 64,
    ],
)
def test_it_refuses_junk_strings(raw):
    with pytest.raises(initdata.InvalidInitData):
        check(raw)


@pytest.mark.parametrize(
    "user",
    ["[1]", '{"id": "42"}', '{"id": -1}', '{"id": true}', '{"first_name": "no id"}', '{"id": 42, "username": 5}', "{"],
)
def test_it_refuses_a_signed_string_whose_user_is_not_a_telegram_user(user):
    fields = {"user": user, "auth_date": str(int(time.time()))}
    fields["hash"] = initdata.sign(fields, TOKEN)

    with pytest.raises(initdata.InvalidInitData):
        check(urlencode(fields))


def test_it_refuses_a_signed_string_without_an_auth_date():
    fields = {"user": json.dumps({"id": 42})}
    fields["hash"] = initdata.sign(fields, TOKEN)

    with pytest.raises(initdata.InvalidInitData):
        check(urlencode(fields))
