"""initData as Telegram signs it, for tests of the Mini App (miniapp/initdata.py)."""

import json
import time
from urllib.parse import urlencode

from miniapp import initdata
from tests.fakes.telegram import FakeTelegram


def init_data(user_id, *, language_code="ru", first_name="Анна", auth_date=None, token=FakeTelegram.TOKEN, **extra):
    """The raw initData string a Telegram client hands a Mini App opened by this user."""
    user = {"id": user_id, "first_name": first_name, "username": "anna_seller", "language_code": language_code}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **extra,
    }
    fields["hash"] = initdata.sign(fields, token)
    return urlencode(fields)


def header(user_or_id, **options):
    """The Authorization header of an API call by this user (a TelegramUser or a Telegram id)."""
    telegram_id = getattr(user_or_id, "telegram_id", user_or_id)
    return {"HTTP_AUTHORIZATION": f"tma {init_data(telegram_id, **options)}"}
