"""A video's length: chosen by the seller among the priced ones, at its own price on every button and charge."""

from accounts.models import TelegramUser
from billing import ledger
from generations.models import Generation
from tests.factories import give_credits


def to_length(chat, credits=100):
    chat.send("/start")
    give_credits(chat.id, credits)
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Рюкзак городской, водонепроницаемый")
    chat.tap("flow:tpl:ad")
    chat.send("нет")


def test_it_offers_each_priced_length_with_its_price(chat, settings):
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    to_length(chat)

    assert "Какой длины" in chat.last_reply()
    assert chat.buttons() == ["10 секунд · 10 кредитов", "15 секунд · 15 кредитов", "⬅️ Назад", "✖️ Отмена"]


def test_it_prices_the_count_the_confirmation_and_the_charge_by_the_chosen_length(chat, settings):
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    to_length(chat)

    chat.tap("flow:sec:15")
    assert "Одно видео стоит 15 кредитов" in chat.last_reply()
    assert chat.buttons()[:3] == ["1 · 15 кредитов", "3 · 45 кредитов", "5 · 75 кредитов"]
    chat.tap("flow:n:3")
    confirm = chat.last_reply()
    assert "Длительность: 15 секунд" in confirm and "45 кредитов" in confirm and "100 → 55" in confirm
    chat.tap_button("Подтвердить")

    generations = list(Generation.objects.all())
    assert [(g.seconds, g.cost) for g in generations] == [(15, 15)] * 3
    assert TelegramUser.objects.get(telegram_id=chat.id).balance == 55
    assert ledger.find_mismatches() == []


def test_it_says_the_balance_is_short_for_the_longer_length(chat, settings):
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    to_length(chat, credits=40)

    chat.tap("flow:sec:15")
    chat.tap("flow:n:3")

    assert "нужно 45 кредитов, у вас 40 кредитов" in chat.last_reply()
    assert "Подтвердить" not in str(chat.buttons())


def test_it_goes_back_from_the_count_to_the_length(chat, settings):
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    to_length(chat)
    chat.tap("flow:sec:15")

    chat.tap("flow:back")
    assert "Какой длины" in chat.last_reply()
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")

    assert (Generation.objects.get().seconds, Generation.objects.get().cost) == (10, 10)


def test_it_asks_no_length_when_one_is_priced(chat, settings):
    settings.VIDEO_COSTS = {10: 12}
    to_length(chat)

    assert "Одно видео стоит 12 кредитов" in chat.last_reply()
    chat.tap("flow:n:1")
    assert "Длительность: 10 секунд" in chat.last_reply()
    chat.tap_button("Подтвердить")
    assert (Generation.objects.get().seconds, Generation.objects.get().cost) == (10, 12)


def test_it_answers_a_length_that_is_not_priced_as_a_stale_button(chat, settings):
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    to_length(chat)

    chat.tap("flow:sec:25")
    chat.tap("flow:sec:abc")

    assert chat.toasts()[-2:] == ["Эта кнопка больше не действует."] * 2
    assert "Какой длины" in chat.last_reply()


def test_it_offers_the_lengths_in_english(new_chat, settings):
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    chat = new_chat(user_id=777888, language_code="en")
    to_length(chat)

    assert chat.buttons()[:2] == ["10 seconds · 10 credits", "15 seconds · 15 credits"]
