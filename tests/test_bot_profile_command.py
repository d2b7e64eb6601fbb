"""`manage.py set_bot_profile`: the command menu and descriptions at Telegram, in Russian and English."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from botapp import handlers, profile
from tests.fakes.telegram import FakeTelegram

SETS = ("setMyCommands", "setMyDescription", "setMyShortDescription")


@pytest.fixture
def fake(settings):
    with FakeTelegram() as running:
        settings.TELEGRAM_BOT_TOKEN = running.token
        settings.TELEGRAM_API_BASE_URL = running.base_url
        yield running


def run():
    out = io.StringIO()
    summary = call_command("set_bot_profile", stdout=out)
    return summary, out.getvalue()


def sets(fake):
    return [(call.method, call.params.get("language_code", "")) for call in fake.requests() if call.method in SETS]


def test_it_sets_the_menu_and_both_descriptions_in_russian_and_english(fake):
    summary, out = run()

    assert summary.startswith("bot profile: 6 of 6 parts changed")
    assert sets(fake) == [(method, code) for code in ("", "en") for method in SETS]
    russian, english = fake.commands(), fake.commands("en")
    assert [c["command"] for c in russian] == [
        "start",
        "buy",
        "balance",
        "promo",
        "history",
        "invite",
        "cancel",
        "support",
        "paysupport",
        "help",
        "privacy",
    ]
    assert russian[0] == {"command": "start", "description": "Открыть главное меню"}
    assert english[0] == {"command": "start", "description": "Open the main menu"}
    assert fake.description().startswith("Делаю контент для маркетплейсов по одному фото товара")
    assert "Карточка стоит 3 кредита; видео: 10 кредитов за 10 секунд, 15 кредитов за 15 секунд." in fake.description()
    assert fake.description(language_code="en").startswith("I make marketplace content from one photo")
    assert fake.description("short_description") == (
        "Карточки с инфографикой и видео для Wildberries, Ozon и Яндекс Маркета — по одному фото товара."
    )
    assert fake.description("short_description", "en").startswith("Image cards with infographics")
    assert "everyone else (Russian): commands, description, short description set" in out


def test_it_sends_nothing_when_telegram_has_it_already(fake):
    run()
    fake.reset()

    summary, out = run()

    assert sets(fake) == []
    assert summary.startswith("bot profile: 0 of 6 parts changed") and "en users: unchanged" in out


def test_it_sends_only_what_changed(fake, settings):
    run()
    fake.reset()
    settings.IMAGE_COST = 4

    run()

    assert sets(fake) == [("setMyDescription", ""), ("setMyDescription", "en")]
    assert "Карточка стоит 4 кредита" in fake.description()


@override_settings(WELCOME_CREDITS=3)
def test_it_says_the_first_card_is_free_when_it_is(fake):
    run()

    assert fake.description().endswith("\n\nПервая карточка — бесплатно.")
    assert fake.description(language_code="en").endswith("\n\nYour first image card is free.")


def test_it_fails_loudly_when_telegram_refuses(fake):
    fake.fail_next("setMyDescription", status=400, description="Bad Request: description is too long")

    with pytest.raises(CommandError, match=r"Telegram refused setMyDescription for everyone else \(Russian\)"):
        run()


def test_it_fails_loudly_when_the_token_is_wrong(fake, settings):
    settings.TELEGRAM_BOT_TOKEN = "123:wrong"

    with pytest.raises(CommandError, match="Telegram refused"):
        run()


def test_it_refuses_a_text_over_the_limits_before_asking_telegram(fake, monkeypatch):
    monkeypatch.setattr(profile, "short_description", lambda: "д" * 121)

    with pytest.raises(CommandError, match="short description: 121 characters, at most 120"):
        run()
    assert fake.requests() == []


@pytest.mark.parametrize("language_code", ["", "en"])
@override_settings(IMAGE_COST=99_999, VIDEO_COSTS={10: 99_999, 15: 99_999}, WELCOME_CREDITS=99_999)
def test_it_keeps_every_text_within_telegrams_limits(language_code):
    wanted = profile.profile(language_code)

    assert wanted.problems() == []
    assert len(wanted.description) <= 512 and len(wanted.short_description) <= 120
    assert all(1 <= len(text) <= 256 for _, text in wanted.commands)


@pytest.mark.parametrize(("language_code", "cheapest"), [("", "от 10 кредитов"), ("en", "from 10 credits")])
@override_settings(VIDEO_MODELS=["sora2", "veo3_fast", "veo3"], VIDEO_PRICES={"veo3_fast": {8: 20}})
def test_it_says_from_the_cheapest_video_when_the_prices_by_model_do_not_fit(language_code, cheapest, monkeypatch):
    monkeypatch.setattr(profile, "MAX_DESCRIPTION", 420)

    wanted = profile.profile(language_code)

    assert wanted.problems() == []
    assert cheapest in wanted.description and "Veo" not in wanted.description


@override_settings(VIDEO_MODELS=["sora2", "veo3_fast"], VIDEO_PRICES={"veo3_fast": {8: 20}})
def test_it_lists_the_prices_by_model_when_they_fit():
    assert (
        "видео: Sora 2: 10 кредитов за 10 секунд, 15 кредитов за 15 секунд; Veo 3.1 Fast: 20 кредитов за 8 секунд."
        in (profile.profile("").description)
    )


def test_it_lists_only_commands_the_bot_answers():
    assert set(profile.COMMANDS) <= set(handlers.COMMANDS)
