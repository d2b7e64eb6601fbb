"""Where a card goes: the format is asked once, remembered on the seller, shown on confirm and changeable there."""

from accounts.models import TelegramUser
from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits


def to_format(chat, credits=30):
    chat.send("/start")
    give_credits(chat.id, credits)
    chat.tap("menu:image")
    chat.send_photo()
    chat.send("Керамическая кружка ручной работы, 350 мл")
    chat.tap("flow:tpl:studio")
    chat.tap("flow:skip")


def seller(chat):
    return TelegramUser.objects.get(telegram_id=chat.id)


def test_it_asks_the_format_once_and_remembers_it(chat):
    to_format(chat)
    assert "Выберите формат" in chat.last_reply()
    assert chat.buttons() == [
        "Wildberries / Ozon, 3:4",
        "Яндекс Маркет, квадрат 1:1",
        "Яндекс Маркет, 3:4",
        "Истории и рилсы, 9:16",
        "⬅️ Назад",
        "✖️ Отмена",
    ]

    chat.tap("flow:fmt:stories")
    chat.tap("flow:n:1")
    assert "Формат: Истории и рилсы, 9:16" in chat.last_reply()
    chat.tap_button("Подтвердить")
    assert seller(chat).card_format == "stories"
    assert Generation.objects.get().card_format == "stories"
    Generation.objects.update(status="completed")  # one order at a time

    chat.tap("menu:image")
    chat.send_photo()
    chat.send("Кружка с котиком, 300 мл")
    chat.tap("flow:tpl:lifestyle")
    chat.tap("flow:skip")

    assert "Сколько карточек" in chat.last_reply()  # no format question the second time
    chat.tap("flow:n:1")
    assert "Формат: Истории и рилсы, 9:16" in chat.last_reply()
    chat.tap_button("Подтвердить")
    assert list(Generation.objects.order_by("pk").values_list("card_format", flat=True)) == ["stories", "stories"]


def test_it_changes_the_format_from_the_confirmation_screen_and_remembers_the_change(chat):
    to_format(chat)
    chat.tap("flow:fmt:wb_ozon")
    chat.tap("flow:n:3")
    old_token = FlowState.objects.get(user__telegram_id=chat.id).draft["token"]
    assert "📐 Изменить формат" in chat.buttons()

    chat.tap_button("Изменить формат")
    assert "Выберите формат" in chat.last_reply()
    chat.tap("flow:fmt:ym_square")

    confirm = chat.last_reply()
    assert "Формат: Яндекс Маркет, квадрат 1:1" in confirm and "3 карточки" in confirm
    assert seller(chat).card_format == "ym_square"
    chat.tap(f"flow:ok:{old_token}")  # the screen before the change is no longer valid
    assert chat.toasts()[-1] == "Эта кнопка больше не действует."
    assert not Generation.objects.exists()

    chat.tap_button("Подтвердить")
    assert {g.card_format for g in Generation.objects.all()} == {"ym_square"}


def test_it_goes_back_from_a_format_change_to_the_confirmation_screen(chat):
    to_format(chat)
    chat.tap("flow:fmt:wb_ozon")
    chat.tap("flow:n:1")
    chat.tap("flow:edit:fmt")

    chat.tap("flow:back")

    assert "Формат: Wildberries / Ozon, 3:4" in chat.last_reply()
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "confirm"
    chat.tap_button("Подтвердить")
    assert Generation.objects.get().card_format == "wb_ozon"


def test_it_answers_format_buttons_out_of_their_step_as_stale(chat, new_chat):
    to_format(chat)
    chat.tap("flow:fmt:nowhere")
    assert chat.toasts()[-1] == "Эта кнопка больше не действует."
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "format"

    other = new_chat(user_id=444555)
    other.send("/start")
    other.replies()
    other.tap("flow:fmt:stories")  # another seller's old button, at their menu

    assert chat.toasts()[-1] == "Эта кнопка больше не действует." and other.replies() == []
    assert TelegramUser.objects.get(telegram_id=444555).card_format == ""
    chat.tap("flow:n:1")  # the count of a step not reached yet
    assert chat.toasts()[-1] == "Эта кнопка больше не действует."


def test_it_asks_no_format_for_a_video(chat):
    chat.send("/start")
    give_credits(chat.id, 30)
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Кружка, 350 мл")
    chat.tap("flow:tpl:ugc")
    chat.tap("flow:skip")

    assert "Какой длины" in chat.last_reply()
    assert "fmt" not in str(chat.last_keyboard())


def test_it_asks_the_format_in_english(new_chat):
    chat = new_chat(user_id=555666, language_code="en")
    to_format(chat)

    assert "Where will the card go?" in chat.last_reply()
    assert chat.buttons()[:2] == ["Wildberries / Ozon, 3:4", "Yandex Market, square 1:1"]
