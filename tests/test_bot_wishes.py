"""The wishes step: a Skip button, typed skips, and the wishes shown on the confirmation screen."""

import pytest

from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits


def to_wishes(chat):
    chat.send("/start")
    give_credits(chat.id, 30)
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Рюкзак городской, водонепроницаемый")
    chat.tap("flow:tpl:ugc")


def test_it_offers_a_skip_button(chat):
    to_wishes(chat)
    assert "⏭ Пропустить" in chat.buttons()

    chat.tap_button("Пропустить")

    assert FlowState.objects.get(user__telegram_id=chat.id).step == "seconds"
    assert FlowState.objects.get(user__telegram_id=chat.id).draft["wishes"] == ""


@pytest.mark.parametrize("typed", ["-", "Пропустить", "нет", "Нет.", "skip", "NO", "—"])
def test_it_skips_on_a_typed_skip(chat, typed):
    to_wishes(chat)

    chat.send(typed)

    state = FlowState.objects.get(user__telegram_id=chat.id)
    assert (state.step, state.draft["wishes"]) == ("seconds", "")


def test_it_shows_the_wishes_on_the_confirmation_screen_escaped_and_shortened(chat):
    to_wishes(chat)
    wishes = "Осенний парк <b>и</b> " + "листопад " * 20

    chat.send(wishes)
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")

    confirm = chat.last_reply()
    assert "Пожелания: Осенний парк &lt;b&gt;и&lt;/b&gt; листопад" in confirm and "…" in confirm
    assert "<b>и</b>" not in confirm
    chat.tap_button("Подтвердить")
    assert Generation.objects.get().wishes == wishes.strip()


def test_it_shows_no_wishes_line_when_skipped(chat):
    to_wishes(chat)
    chat.tap("flow:skip")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")

    assert "Пожелания" not in chat.last_reply()


def test_it_has_no_skip_for_the_own_prompt(chat):
    to_wishes(chat)
    chat.tap("flow:back")
    chat.tap("flow:tpl:own")
    assert "Пропустить" not in str(chat.buttons())

    chat.send("-")
    chat.tap("flow:skip")

    assert "от 3 до 2000 символов" in chat.last_reply() and chat.toasts()[-1] == "Эта кнопка больше не действует."
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "wishes"
