"""The first minute: a new seller's first card is free, and the greeting says what the bot makes, at what price."""

from accounts.models import TelegramUser
from tests.factories import make_generations
from tests.test_configuration import manage


def test_it_gives_a_new_seller_one_cards_price_by_default():
    run = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.WELCOME_CREDITS)",
        WELCOME_CREDITS=None,
        IMAGE_COST="4",
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "4"


def test_it_greets_a_new_seller_with_the_free_card_and_the_balance(chat, settings):
    settings.WELCOME_CREDITS = settings.IMAGE_COST

    chat.send("/start")

    reply = chat.last_reply()
    assert "Первая карточка — бесплатно: на балансе уже 3 кредита." in reply
    assert "Баланс" not in reply
    assert "карточки с инфографикой для Wildberries, Ozon и Яндекс Маркета — 3 кредита за штуку;" in reply
    assert (
        "видео для карточки и рекламы, видеообложки для Ozon — 10 кредитов за 10 секунд, 15 кредитов за 15 секунд."
        in reply
    )
    assert "✨ Примеры" in chat.buttons()
    assert TelegramUser.objects.get(telegram_id=chat.id).balance == 3


def test_it_counts_the_free_cards_when_the_gift_is_larger(chat, settings):
    settings.WELCOME_CREDITS = 10

    chat.send("/start")

    assert "Первые карточки — бесплатно: на балансе уже 10 кредитов, хватит на 3 карточки." in chat.last_reply()


def test_it_greets_without_welcome_credits(chat, settings):
    settings.WELCOME_CREDITS = 0

    chat.send("/start")

    reply = chat.last_reply()
    assert reply.endswith("Баланс: <b>0 кредитов</b>.\nЧтобы начать, купите кредиты: /buy.")
    assert "бесплатно" not in reply


def test_it_tells_a_seller_who_has_ordered_the_balance_instead(chat, settings):
    settings.WELCOME_CREDITS = 3
    chat.send("/start")
    make_generations(TelegramUser.objects.get(telegram_id=chat.id), count=1)

    chat.send("/start")

    reply = chat.last_reply()
    assert "Баланс: <b>3 кредита</b>." in reply and "бесплатно" not in reply and "/buy" not in reply


def test_it_takes_the_prices_from_the_settings(chat, settings):
    settings.IMAGE_COST = settings.WELCOME_CREDITS = 5
    settings.VIDEO_COSTS = {10: 12, 15: 18}

    chat.send("/start")

    reply = chat.last_reply()
    assert "— 5 кредитов за штуку;" in reply and "— 12 кредитов за 10 секунд, 18 кредитов за 15 секунд." in reply
    assert "Первая карточка — бесплатно: на балансе уже 5 кредитов." in reply


def test_it_greets_in_english(new_chat, settings):
    settings.WELCOME_CREDITS = 3
    chat = new_chat(user_id=444, first_name="Ann", language_code="en")

    chat.send("/start")

    reply = chat.last_reply()
    assert reply.startswith("Hi, Ann! From one photo of your product I make:")
    assert "Your first image card is free: you already have 3 credits." in reply
    assert "✨ Examples" in chat.buttons()
