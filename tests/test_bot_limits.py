import pytest
from django.test import override_settings

from accounts.models import TelegramUser
from generations.models import Generation
from tests.factories import give_credits, make_generations, make_user


def order(chat, count=1, *, credits=100):
    """Walk the flow to the confirmation screen and confirm."""
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Кружка ручной работы")
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap(f"flow:n:{count}")
    chat.replies()
    token = chat.last_keyboard()[0][0]["callback_data"]
    chat.tap(token)
    return chat.last_reply()


@pytest.fixture
def seller(chat):
    chat.send("/start")
    give_credits(chat.id, 100)
    return chat


def test_it_refuses_a_third_order_while_two_are_in_progress(seller):
    order(seller)
    order(seller)

    reply = order(seller)

    assert "/cancel" in reply and "У вас уже 2 заказа в работе — больше одновременно нельзя" in reply
    assert Generation.objects.count() == 2


@override_settings(MAX_ACTIVE_ORDERS=1)
def test_it_says_so_plainly_when_one_order_at_a_time_is_allowed(seller):
    order(seller)

    reply = order(seller)

    assert reply.startswith("У вас уже есть заказ в работе, а одновременно можно вести только один.")
    assert Generation.objects.count() == 1


@override_settings(RATE_LIMIT_GENERATIONS_PER_HOUR=4, MAX_ACTIVE_ORDERS=5)
def test_it_refuses_more_generations_an_hour_than_allowed(seller):
    order(seller, 3)

    reply = order(seller, 3)

    assert reply == "В час можно заказать до 4 генераций; сейчас доступно ещё 1. Попробуйте через 60 минут."
    assert Generation.objects.count() == 3


@override_settings(MAX_QUEUE_SIZE=4)
def test_it_refuses_an_order_when_the_queue_is_full(seller):
    make_generations(make_user(), count=3)

    reply = order(seller, 3)

    assert "Очередь заполнена: 3 из 4" in reply
    assert Generation.objects.count() == 3


def test_it_offers_to_buy_when_the_balance_is_short(chat):
    chat.send("/start")
    give_credits(chat.id, 5)

    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Кружка ручной работы")
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")

    assert "Не хватает кредитов: нужно 10 кредитов, у вас 5 кредитов" in chat.last_reply()
    assert "🛒 Купить кредиты" in chat.buttons() and "✅ Подтвердить" not in chat.buttons()


def test_it_politely_refuses_a_blocked_user_and_does_nothing_else(chat):
    chat.send("/start")
    TelegramUser.objects.filter(telegram_id=chat.id).update(is_blocked=True)
    chat.replies()

    chat.send("/start")
    chat.tap("menu:video")

    replies = chat.replies()
    assert len(replies) == 2 and all("доступ к боту приостановлен" in reply for reply in replies)


@override_settings(FLOOD_UPDATES_PER_MINUTE=5)
def test_it_asks_a_flooding_user_to_slow_down_once_and_drops_the_rest(chat):
    for _ in range(9):
        chat.send("/balance")

    replies = chat.replies()
    assert len(replies) == 6
    assert "слишком быстро" in replies[5]
