"""The text on an infographic or an Ozon cover: typed by the seller or suggested from the description (by
OpenAI in a task, or the fallback without it), checked against the marketplaces' rules before any charge,
shown on the confirmation screen and editable there."""

from dataclasses import dataclass

import pytest
from django_q.tasks import async_task

from accounts.models import TelegramUser
from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits

DESCRIPTION = "Термокружка из стали 304, 450 мл. Держит тепло 8 часов, не протекает"
TEXT = "Термокружка 450 мл\n• Держит тепло 8 часов\n• Не протекает\n• Сталь 304"


def to_points(chat, template="infographic", kind="image", credits=30):
    chat.send("/start")
    give_credits(chat.id, credits)
    chat.tap(f"menu:{kind}")
    chat.send_photo()
    chat.send(DESCRIPTION)
    chat.tap(f"flow:tpl:{template}")


def flow_of(chat):
    return FlowState.objects.get(user__telegram_id=chat.id)


def balance_of(chat):
    return TelegramUser.objects.get(telegram_id=chat.id).balance


def to_confirm(chat):
    chat.tap("flow:skip")
    if flow_of(chat).step == "format":
        chat.tap("flow:fmt:wb_ozon")
    if flow_of(chat).step == "seconds":
        chat.tap("flow:sec:10")
    chat.tap("flow:n:1")


@pytest.fixture
def held(monkeypatch, settings, openai_server):
    """The fake OpenAI configured; the suggestion tasks held, run by run_held() as a worker would (twice)."""
    from generations import prompts
    from messaging import sender

    tasks = []
    monkeypatch.setattr("botapp.card_steps.async_task", lambda func, *args, **kw: tasks.append((func, args, kw)))
    openai_server.reset()
    settings.OPENAI_API_KEY = openai_server.api_key
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.TELEGRAM_CHAT_INTERVAL_SECONDS = 0
    for cached in (prompts._client, sender._client):
        cached.cache_clear()
    yield Held(tasks, openai_server)
    for cached in (prompts._client, sender._client):
        cached.cache_clear()


@dataclass
class Held:
    tasks: list
    openai: object


def run_held(held, *, times=2):
    for _ in range(times):
        for func, args, kwargs in held.tasks:
            async_task(func, *args, **kwargs)


def test_it_asks_for_the_title_and_points_after_the_infographic_template(chat):
    to_points(chat)

    ask = chat.last_reply()
    assert "заголовок и до 4 преимуществ" in ask and "«-»" in ask and "до 40 символов" in ask


def test_it_takes_typed_points_shows_them_on_confirm_and_stores_them(chat):
    to_points(chat)
    chat.send(TEXT)
    assert "пожелания" in chat.last_reply().lower()
    to_confirm(chat)

    confirm = chat.last_reply()
    assert "Заголовок: Термокружка 450 мл" in confirm
    assert "Преимущества: Держит тепло 8 часов; Не протекает; Сталь 304" in confirm
    assert "✏️ Изменить текст" in chat.buttons()
    chat.tap_button("Подтвердить")

    generation = Generation.objects.get()
    assert (generation.template, generation.title) == ("infographic", "Термокружка 450 мл")
    assert generation.points == ["Держит тепло 8 часов", "Не протекает", "Сталь 304"]


def test_it_refuses_points_that_break_the_rules_naming_the_words_and_charges_nothing(chat):
    to_points(chat)

    chat.send("Термокружка 450 мл\nСкидка 30%\nВсего 990 ₽\nПишите @mug_shop")

    reply = chat.last_reply()
    assert "«Скидка»" in reply and "«990 ₽»" in reply and "«Пишите»" in reply and "«@mug_shop»" in reply
    assert flow_of(chat).step == "points" and "title" not in flow_of(chat).draft
    assert balance_of(chat) == 30 and not Generation.objects.exists()

    chat.send(TEXT)
    assert flow_of(chat).draft["title"] == "Термокружка 450 мл"


def test_it_says_how_long_a_point_is_and_how_long_it_may_be(chat):
    to_points(chat)

    chat.send("Термокружка\n" + "Очень " * 11)

    assert "В преимуществе №1 65 символов, а на карточке помещается до 60" in chat.last_reply()
    chat.send("Термокружка\nа\nб\nв\nг\nд")
    assert "Вы прислали 5 преимуществ, а на карточке помещается до 4" in chat.last_reply()
    assert flow_of(chat).step == "points"


def test_it_suggests_the_text_without_openai_at_once(chat, settings):
    settings.OPENAI_API_KEY = ""
    to_points(chat)

    chat.send("-")

    reply = chat.last_reply()
    assert "Предлагаю такой текст:\n<b>Термокружка из стали 304, 450 мл</b>\n• Держит тепло 8 часов" in reply
    assert "пожелания" in reply.lower()
    draft = flow_of(chat).draft
    assert (draft["title"], draft["points"]) == (
        "Термокружка из стали 304, 450 мл",
        ["Держит тепло 8 часов", "Не протекает"],
    )
    to_confirm(chat)
    assert "Заголовок: Термокружка из стали 304, 450 мл" in chat.last_reply()


def test_it_suggests_the_text_with_openai_in_a_task_that_sends_the_next_step_once(chat, held):
    to_points(chat)
    chat.replies()

    chat.send("-")
    assert chat.replies() == ["Подбираю заголовок и преимущества по описанию: это займёт несколько секунд."]
    assert [func for func, _, _ in held.tasks] == ["botapp.tasks.suggest_points"]
    assert flow_of(chat).step == "points" and held.openai.requests() == []  # the webhook did not wait on it

    held.openai.reply_with('{"title": "Термокружка 450 мл", "points": ["Держит тепло 8 часов", "Не протекает"]}')
    run_held(held)

    (reply,) = chat.replies()
    assert "<b>Термокружка 450 мл</b>\n• Держит тепло 8 часов\n• Не протекает" in reply and "пожелания" in reply
    assert len(held.openai.requests("/chat/completions")) == 1
    assert flow_of(chat).step == "wishes"


def test_it_shows_a_suggestion_telegram_refused_at_the_next_message_without_taking_it(chat, held, monkeypatch):
    from messaging import sender

    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    to_points(chat)
    chat.send("-")
    chat.replies()
    held.openai.reply_with('{"title": "Термокружка 450 мл", "points": ["Держит тепло 8 часов"]}')
    chat.telegram.fail_next("sendMessage", status=502, description="Bad Gateway", times=sender.MAX_TRIES)
    run_held(held, times=1)
    assert flow_of(chat).step == "wishes" and chat.replies() == []  # the seller saw nothing

    chat.send("ну что там?")

    (reply,) = chat.replies()
    assert "<b>Термокружка 450 мл</b>\n• Держит тепло 8 часов" in reply and "пожелания" in reply
    assert flow_of(chat).step == "wishes" and "wishes" not in flow_of(chat).draft  # not taken as the wishes
    chat.send("на светлом фоне")
    assert flow_of(chat).draft["wishes"] == "на светлом фоне"


def test_it_forgets_that_a_suggestion_was_shown_once_telegram_took_it(chat, held):
    to_points(chat)
    chat.send("-")
    held.openai.reply_with('{"title": "Термокружка 450 мл", "points": ["Держит тепло 8 часов"]}')
    run_held(held)
    chat.replies()

    chat.send("на светлом фоне")

    assert "unseen" not in flow_of(chat).draft and flow_of(chat).draft["wishes"] == "на светлом фоне"


def test_it_drops_a_suggestion_the_seller_no_longer_waits_for(chat, held):
    to_points(chat)
    chat.send("-")
    chat.send(TEXT)  # typed meanwhile
    chat.replies()

    run_held(held)

    assert chat.replies() == []
    assert flow_of(chat).draft["title"] == "Термокружка 450 мл"


def test_it_falls_back_to_the_description_when_openai_fails_in_the_task(chat, held):
    to_points(chat)
    chat.send("-")
    chat.replies()
    held.openai.fail_next(status=500, type="server_error", times=3)

    run_held(held, times=1)

    (reply,) = chat.replies()
    assert "<b>Термокружка из стали 304, 450 мл</b>" in reply


def test_it_edits_the_text_from_the_confirmation_screen_showing_the_current_one(chat):
    to_points(chat)
    chat.send(TEXT)
    to_confirm(chat)
    old_token = flow_of(chat).draft["token"]

    chat.tap_button("Изменить текст")
    ask = chat.last_reply()
    assert "<pre>Термокружка 450 мл\nДержит тепло 8 часов\nНе протекает\nСталь 304</pre>" in ask

    chat.send("Термокружка 500 мл\nДержит тепло 12 часов")
    confirm = chat.last_reply()
    assert "Заголовок: Термокружка 500 мл" in confirm and "Преимущества: Держит тепло 12 часов" in confirm
    chat.tap(f"flow:ok:{old_token}")
    assert chat.toasts()[-1] == "Эта кнопка больше не действует."
    chat.tap_button("Подтвердить")

    generation = Generation.objects.get()
    assert (generation.title, generation.points) == ("Термокружка 500 мл", ["Держит тепло 12 часов"])


def test_it_refuses_to_order_a_text_that_breaks_the_rules_at_confirm(chat):
    to_points(chat)
    chat.send(TEXT)
    to_confirm(chat)
    state = flow_of(chat)
    state.draft["points"] = ["Купи сейчас"]  # a draft from before the check, say
    state.save()

    chat.tap_button("Подтвердить")

    assert "«Купи»" in chat.last_reply()
    assert not Generation.objects.exists() and balance_of(chat) == 30


def test_it_asks_for_the_points_of_an_ozon_cover_and_passes_them_on(chat):
    to_points(chat, template="ozon_cover", kind="video", credits=100)
    assert "текст для обложки" in chat.last_reply()

    chat.send(TEXT)
    to_confirm(chat)
    assert "Заголовок: Термокружка 450 мл" in chat.last_reply()
    chat.tap_button("Подтвердить")

    generation = Generation.objects.get()
    assert (generation.kind, generation.template, generation.title) == ("video", "ozon_cover", "Термокружка 450 мл")
    assert len(generation.points) == 3


def test_it_leaves_the_text_off_a_template_without_one(chat):
    to_points(chat)
    chat.send(TEXT)
    chat.tap("flow:back")
    chat.tap("flow:back")  # back to the templates
    chat.tap("flow:tpl:studio")
    to_confirm(chat)

    assert "Заголовок" not in chat.last_reply()
    chat.tap_button("Подтвердить")
    assert (Generation.objects.get().title, Generation.objects.get().points) == ("", [])


def test_it_answers_a_text_button_out_of_its_step_as_stale(chat):
    to_points(chat, template="studio")
    chat.tap("flow:edit:pts")

    assert chat.toasts()[-1] == "Эта кнопка больше не действует."


def test_it_enqueues_one_suggestion_for_a_redelivered_dash(chat, held):
    to_points(chat)
    chat.replies()
    update = chat.message_update(text="-")

    assert chat.post(update).status_code == 200
    assert chat.post(update).status_code == 200

    assert len(held.tasks) == 1 and len(chat.replies()) == 1
    run_held(held)
    assert len(chat.replies()) == 1


def test_it_names_the_words_to_change_in_english(new_chat):
    chat = new_chat(user_id=246810, language_code="en")
    to_points(chat)

    chat.send("Thermo mug\nBig sale today\nwww.mugs.com")

    assert "Please remove or reword: “sale”, “www.mugs.com”." in chat.last_reply()
