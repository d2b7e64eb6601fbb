"""The buttons that open the Mini App: the chat's menu button (set by `manage.py set_bot_profile`) and «Открыть
галерею» in the main menu, both only when PUBLIC_BASE_URL is https (Telegram opens a Mini App only from https)."""

import pytest
from django.core.management import CommandError

from tests.test_bot_profile_command import fake, run  # noqa: F401  (the fake Bot API and the command, shared)

MINIAPP = {"url": "https://bot.example.com/miniapp/"}


def test_it_sets_the_chat_menu_button_to_the_mini_app(fake, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"

    summary, out = run()

    (call,) = fake.requests("setChatMenuButton")
    assert "chat_id" not in call.params  # the default button, for every chat
    assert fake.menu_button() == {"type": "web_app", "text": "Галерея", "web_app": MINIAPP}
    assert summary.startswith("bot profile: 7 of 7 parts changed")
    assert "menu button: set to the Mini App (https://bot.example.com/miniapp/)" in out


def test_it_leaves_the_menu_button_alone_once_it_is_set(fake, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    run()
    fake.reset()

    summary, out = run()

    assert fake.requests("setChatMenuButton") == [] and "menu button: unchanged" in out
    assert summary.startswith("bot profile: 0 of 7 parts changed")


def test_it_points_the_menu_button_at_a_new_address(fake, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    run()
    settings.PUBLIC_BASE_URL = "https://cards.example.org"

    run()

    assert fake.menu_button()["web_app"] == {"url": "https://cards.example.org/miniapp/"}


@pytest.mark.parametrize("base", ["", "http://127.0.0.1:8000"])
def test_it_sets_no_menu_button_without_an_https_address(fake, settings, base):
    settings.PUBLIC_BASE_URL = base

    summary, out = run()

    assert fake.requests("setChatMenuButton") == [] and fake.requests("getChatMenuButton") == []
    assert fake.menu_button() == {"type": "commands"}
    assert summary.startswith("bot profile: 6 of 6 parts changed") and "needs an https PUBLIC_BASE_URL" in out


def test_it_fails_loudly_when_telegram_refuses_the_menu_button(fake, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    fake.fail_next("setChatMenuButton", status=400, description="Bad Request: WEBAPP_URL_INVALID")

    with pytest.raises(CommandError, match="(?i)Telegram refused setChatMenuButton: webapp_url_invalid"):
        run()


def test_it_shows_open_gallery_in_the_main_menu(chat, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"

    chat.send("/start")

    *_, last_row = chat.last_keyboard()
    assert last_row == [{"text": "🗂 Открыть галерею", "web_app": MINIAPP}]


def test_it_shows_open_gallery_in_english_to_english_users(new_chat, settings):
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    chat = new_chat(user_id=313131, first_name="Ann", language_code="en")

    chat.send("/start")

    assert chat.last_keyboard()[-1] == [{"text": "🗂 Open gallery", "web_app": MINIAPP}]


@pytest.mark.parametrize("base", ["", "http://127.0.0.1:8000"])
def test_it_leaves_open_gallery_out_without_an_https_address(chat, settings, base):
    settings.PUBLIC_BASE_URL = base

    chat.send("/start")

    assert not any("web_app" in button for row in chat.last_keyboard() for button in row)
    assert "🗂 Открыть галерею" not in chat.buttons()


def test_the_fake_refuses_a_web_app_button_that_is_not_https(telegram):
    import httpx

    answer = httpx.post(
        f"{telegram.base_url}/bot{telegram.token}/sendMessage",
        json={
            "chat_id": 42,
            "text": "hi",
            "reply_markup": {"inline_keyboard": [[{"text": "Open", "web_app": {"url": "http://x.example/"}}]]},
        },
    ).json()

    assert answer["ok"] is False and "Only HTTPS links are allowed" in answer["description"]
