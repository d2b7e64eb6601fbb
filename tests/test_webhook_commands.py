import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def bot(workers, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = "hook-secret_1"
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    workers.telegram.webhook.clear()
    return workers.telegram


def test_it_points_telegram_at_our_webhook_with_the_secret_and_update_types(bot, capsys):
    call_command("setwebhook", "--drop-pending")

    assert bot.webhook["url"] == "https://bot.example.com/telegram/webhook/"
    assert bot.webhook["secret_token"] == "hook-secret_1"
    assert bot.webhook["allowed_updates"] == ["message", "callback_query", "my_chat_member", "pre_checkout_query"]
    assert "pending updates dropped" in capsys.readouterr().out


def test_it_refuses_a_webhook_telegram_could_not_reach(bot, settings):
    settings.PUBLIC_BASE_URL = "http://localhost:8000"

    with pytest.raises(CommandError, match="https"):
        call_command("setwebhook")


def test_it_shows_what_telegram_knows_of_the_webhook(bot, capsys):
    call_command("setwebhook")
    bot.set_webhook_error("Connection timed out")

    call_command("webhookinfo")

    out = capsys.readouterr().out
    assert "url: https://bot.example.com/telegram/webhook/" in out and "Connection timed out" in out


def test_it_deletes_the_webhook(bot, capsys):
    call_command("setwebhook")

    call_command("deletewebhook")

    assert not bot.webhook.get("url")
