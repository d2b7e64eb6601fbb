"""The video model: chosen by the seller at the template step when several are on, remembered as their default,
and priced by it on every screen and in the charge; one model on, the flow as before."""

import pytest
from django.utils import translation

from accounts.models import TelegramUser
from billing import ledger
from botapp import texts
from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits

STALE = "Эта кнопка больше не действует."


@pytest.fixture
def two_models(settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    settings.VIDEO_PRICES = {"veo3_fast": {8: 20}}


def to_template(chat, credits=100):
    chat.send("/start")
    give_credits(chat.id, credits)
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Рюкзак городской, водонепроницаемый")


def user_of(chat):
    return TelegramUser.objects.get(telegram_id=chat.id)


def draft_of(chat):
    return FlowState.objects.get(user__telegram_id=chat.id).draft


def test_it_offers_each_model_with_its_strength_and_price_at_the_template_step(chat, two_models):
    to_template(chat)

    text = chat.last_reply()
    assert "Какая модель сделает видео?" in text
    assert "✓ <b>Sora 2</b> — живые сцены и люди, 10 или 15 с; от 10 кредитов" in text
    assert "• <b>Veo 3.1 Fast</b> — чёткие крупные планы товара со звуком, 8 с, быстро; 20 кредитов" in text
    assert "шаблон" in text
    assert chat.buttons()[:3] == ["✓ Sora 2", "Veo 3.1 Fast", "Видео-отзыв покупателя"]


def test_it_makes_a_veo_order_without_a_length_step_at_veos_price(chat, two_models):
    to_template(chat)

    chat.tap("flow:model:veo3_fast")
    assert "✓ <b>Veo 3.1 Fast</b>" in chat.last_reply()
    assert chat.buttons()[:2] == ["Sora 2", "✓ Veo 3.1 Fast"]
    chat.tap("flow:tpl:ad")
    chat.send("нет")
    assert "Одно видео (Veo 3.1 Fast) стоит 20 кредитов" in chat.last_reply()
    assert chat.buttons()[:3] == ["1 · 20 кредитов", "3 · 60 кредитов", "5 · 100 кредитов"]
    chat.tap("flow:n:3")
    confirm = chat.last_reply()
    assert "Модель: Veo 3.1 Fast" in confirm and "Длительность: 8 секунд" in confirm
    assert "60 кредитов" in confirm and "100 → 40" in confirm
    chat.tap_button("Подтвердить")

    generations = list(Generation.objects.all())
    assert [(g.model, g.ordered_model, g.seconds, g.cost) for g in generations] == [
        ("veo3_fast", "veo3_fast", 8, 20)
    ] * 3
    assert user_of(chat).balance == 40
    assert ledger.find_mismatches() == []


def test_it_remembers_the_chosen_model_for_the_next_order(chat, two_models):
    to_template(chat)
    chat.tap("flow:model:veo3_fast")
    assert user_of(chat).video_model == "veo3_fast"
    chat.tap("flow:cancel")

    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Кружка керамическая, 350 мл")

    assert chat.buttons()[:2] == ["Sora 2", "✓ Veo 3.1 Fast"]


def test_it_asks_the_length_of_sora_at_its_prices(chat, two_models):
    to_template(chat)
    chat.tap("flow:tpl:ugc")
    chat.send("нет")

    assert chat.buttons()[:2] == ["10 секунд · 10 кредитов", "15 секунд · 15 кредитов"]
    chat.tap("flow:sec:15")
    assert "Одно видео (Sora 2) стоит 15 кредитов" in chat.last_reply()


def test_it_drops_a_length_the_new_model_does_not_make(chat, two_models):
    to_template(chat)
    chat.tap("flow:tpl:ugc")
    chat.send("нет")
    chat.tap("flow:sec:15")
    for _ in range(3):
        chat.tap("flow:back")  # count → length → wishes → template
    assert "Какая модель" in chat.last_reply()

    chat.tap("flow:model:veo3_fast")
    chat.tap("flow:tpl:ugc")
    chat.send("нет")

    assert "seconds" not in draft_of(chat)
    assert "Одно видео (Veo 3.1 Fast) стоит 20 кредитов" in chat.last_reply()


def test_it_changes_the_model_from_the_confirmation_screen(chat, two_models):
    to_template(chat)
    chat.tap("flow:tpl:ugc")
    chat.send("нет")
    chat.tap("flow:sec:15")
    chat.tap("flow:n:1")
    assert chat.buttons() == ["✅ Подтвердить", "🎞 Изменить модель", "⬅️ Назад", "✖️ Отмена"]

    chat.tap("flow:edit:model")
    assert "Какая модель" in chat.last_reply() and chat.buttons() == ["✓ Sora 2", "Veo 3.1 Fast", "⬅️ Назад", "✖️ Отмена"]
    chat.tap("flow:model:veo3_fast")
    confirm = chat.last_reply()
    assert "Модель: Veo 3.1 Fast" in confirm and "Длительность: 8 секунд" in confirm and "100 → 80" in confirm

    chat.tap("flow:edit:model")
    chat.tap("flow:model:sora2")
    assert "Какой длины" in chat.last_reply()
    chat.tap("flow:sec:10")
    confirm = chat.last_reply()
    assert "Модель: Sora 2" in confirm and "Длительность: 10 секунд" in confirm and "100 → 90" in confirm
    chat.tap_button("Подтвердить")

    generation = Generation.objects.get()
    assert (generation.model, generation.seconds, generation.cost) == ("sora2", 10, 10)


def test_it_refuses_a_veo_order_the_balance_does_not_cover_at_veos_price(chat, two_models):
    to_template(chat, credits=50)
    chat.tap("flow:model:veo3_fast")
    chat.tap("flow:tpl:ad")
    chat.send("нет")
    chat.tap("flow:n:3")

    assert "нужно 60 кредитов, у вас 50 кредитов" in chat.last_reply()
    assert "Подтвердить" not in str(chat.buttons())


def test_it_shows_the_default_model_for_a_button_of_one_turned_off(chat, two_models, settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    to_template(chat)
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]

    chat.tap("flow:model:veo3")

    assert chat.toasts()[-1] == "Veo 3.1 Quality сейчас недоступна: видео сделает Sora 2."
    assert chat.buttons()[:2] == ["✓ Sora 2", "Veo 3.1 Fast"]
    assert user_of(chat).video_model == ""


def test_it_shows_the_confirmation_again_when_the_model_was_turned_off_meanwhile(chat, two_models, settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    to_template(chat)
    chat.tap("flow:model:veo3")
    chat.tap("flow:tpl:ad")
    chat.send("нет")
    chat.tap("flow:n:1")
    assert "Модель: Veo 3.1 Quality" in chat.last_reply()
    settings.VIDEO_MODELS = ["sora2", "veo3_fast"]

    chat.tap_button("Подтвердить")

    again = chat.last_reply()
    assert "Veo 3.1 Quality сейчас недоступна: видео сделает Sora 2." in again
    assert "Модель: Sora 2" in again and "100 → 90" in again
    assert not Generation.objects.exists()
    chat.tap_button("Подтвердить")
    generation = Generation.objects.get()
    assert (generation.model, generation.cost) == ("sora2", 10)
    assert user_of(chat).balance == 90


def test_it_answers_a_forged_model_as_a_stale_button_and_changes_nothing(chat, two_models):
    to_template(chat)
    chat.replies()

    chat.tap("flow:model:gpt5")
    chat.tap("flow:model:")

    assert chat.toasts()[-2:] == [STALE, STALE]
    assert chat.replies() == []
    assert draft_of(chat)["model"] == "sora2" and user_of(chat).video_model == ""


def test_it_answers_a_model_button_at_another_step_as_a_stale_button(chat, two_models):
    to_template(chat)
    chat.tap("flow:tpl:ad")

    chat.tap("flow:model:veo3_fast")

    assert chat.toasts()[-1] == STALE
    assert draft_of(chat)["model"] == "sora2"


def test_it_keeps_the_model_of_the_generation_for_another_with_this_product(chat, two_models):
    to_template(chat)
    chat.tap("flow:model:veo3_fast")
    chat.tap("flow:tpl:ad")
    chat.send("нет")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")
    generation = Generation.objects.get()
    TelegramUser.objects.filter(telegram_id=chat.id).update(video_model="sora2")

    chat.tap(f"gen:again:{generation.pk}")

    assert "шаблон" in chat.last_reply() and chat.buttons()[:2] == ["Sora 2", "✓ Veo 3.1 Fast"]


def test_it_speaks_english_to_an_english_seller(new_chat, two_models):
    chat = new_chat(user_id=777999, language_code="en")
    to_template(chat)

    text = chat.last_reply()
    assert "Which model shall make the video?" in text
    assert "✓ <b>Sora 2</b> — lively scenes and people, 10 or 15 s; from 10 credits" in text
    chat.tap("flow:model:veo3_fast")
    chat.tap("flow:tpl:ad")
    chat.send("no")
    assert "One video by Veo 3.1 Fast costs 20 credits." in chat.last_reply()
    chat.tap("flow:n:1")
    assert "Model: Veo 3.1 Fast" in chat.last_reply()


def test_it_lists_each_models_prices(chat, two_models):
    chat.send("/start")

    chat.send("/balance")

    assert "Sora 2: 10 кредитов за 10 секунд, 15 кредитов за 15 секунд; Veo 3.1 Fast: 20 кредитов за 8 секунд" in (
        chat.last_reply()
    )


def test_it_counts_videos_at_the_cheapest_enabled_model(settings):
    settings.IMAGE_COST = 3
    settings.VIDEO_COSTS = {10: 10, 15: 15}
    settings.VIDEO_PRICES = {"veo3_fast": {8: 5}}
    with translation.override("en"):
        settings.VIDEO_MODELS = ["sora2"]
        assert texts.enough_for(7).endswith("not enough for a video yet.") and texts.running_low(7)
        settings.VIDEO_MODELS = ["sora2", "veo3_fast"]
        assert "or 1 video" in texts.enough_for(7) and not texts.running_low(7)


def test_it_shows_no_model_with_one_model_on(chat, settings):
    settings.VIDEO_MODELS = ["veo3_fast"]
    settings.VIDEO_PRICES = {"veo3_fast": {8: 20}}
    to_template(chat)

    text = chat.last_reply()
    assert "модель" not in text.lower() and "Veo" not in text
    assert chat.buttons()[0] == "Видео-отзыв покупателя"
    chat.tap("flow:tpl:ad")
    chat.send("нет")
    assert "Одно видео стоит 20 кредитов" in chat.last_reply()
    chat.tap("flow:n:1")
    assert "Модель" not in chat.last_reply() and chat.buttons() == ["✅ Подтвердить", "⬅️ Назад", "✖️ Отмена"]
    chat.tap_button("Подтвердить")
    assert (Generation.objects.get().model, Generation.objects.get().cost) == ("veo3_fast", 20)


def test_it_offers_the_model_ordered_for_another_when_the_one_that_made_it_is_off(chat, two_models, settings):
    settings.VIDEO_MODELS = ["sora2", "veo3_fast", "veo3"]
    to_template(chat)
    chat.tap("flow:model:veo3")
    chat.tap("flow:tpl:ad")
    chat.send("нет")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")
    generation = Generation.objects.get()
    # Taken over: made by Veo 3.1 Fast, which is off now; the seller's default is Sora 2.
    Generation.objects.filter(pk=generation.pk).update(model="veo3_fast")
    TelegramUser.objects.filter(telegram_id=chat.id).update(video_model="sora2")
    settings.VIDEO_MODELS = ["sora2", "veo3"]

    chat.tap(f"gen:again:{generation.pk}")

    assert chat.buttons()[:2] == ["Sora 2", "✓ Veo 3.1 Quality"]
