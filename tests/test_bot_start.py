from django.test import override_settings

from accounts.models import TelegramUser
from billing.models import CreditTransaction


def test_it_greets_a_new_user_with_the_main_menu(chat):
    chat.send("/start")

    reply = chat.last_reply()
    assert "Анна" in reply and "0 кредитов" in reply
    assert chat.buttons() == [
        "🎬 Создать видео",
        "🖼 Создать карточку",
        "✨ Примеры",
        "💰 Баланс",
        "🛒 Купить кредиты",
        "📂 Мои генерации",
        "🆘 Поддержка",
        "❓ Помощь",
    ]
    user = TelegramUser.objects.get(telegram_id=chat.id)
    assert (user.first_name, user.username, user.language_code, user.balance) == ("Анна", "anna_seller", "ru", 0)


def test_it_speaks_english_to_users_whose_telegram_is_in_english(new_chat):
    chat = new_chat(user_id=222, first_name="Ann", language_code="en-GB")

    chat.send("/start")

    assert "Hi, Ann!" in chat.last_reply()
    assert "🎬 Create video" in chat.buttons()


@override_settings(WELCOME_CREDITS=20)
def test_it_gives_welcome_credits_once_through_the_ledger(chat):
    chat.send("/start")
    chat.send("/start")

    user = TelegramUser.objects.get(telegram_id=chat.id)
    assert user.balance == 20
    entry = CreditTransaction.objects.get(user=user)
    assert (entry.kind, entry.amount, entry.reason) == ("manual_grant", 20, "welcome credits")


def test_it_refreshes_names_and_language(new_chat):
    new_chat(first_name="Анна").send("/start")

    new_chat(first_name="Аня", username="anya", language_code="en").send("/start")

    user = TelegramUser.objects.get(telegram_id=111222333)
    assert (user.first_name, user.username, user.language_code) == ("Аня", "anya", "en")


def test_it_answers_a_tapped_button_at_once(chat):
    chat.send("/start")

    chat.tap("menu:balance")

    assert chat.telegram.requests("answerCallbackQuery")
    assert "Баланс" in chat.last_reply()
