import pytest

from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits, make_generations


def step_of(chat):
    return FlowState.objects.get(user__telegram_id=chat.id).step


@pytest.fixture
def at_description(at_photo):
    at_photo.send_photo()
    at_photo.replies()
    return at_photo


@pytest.mark.parametrize(
    "send",
    [
        lambda chat: chat.send("вот мой товар"),
        lambda chat: chat.send_sticker(),
        lambda chat: chat.send_document(mime_type="application/pdf", file_name="price.pdf"),
        lambda chat: chat.send_document(mime_type="image/gif", file_name="anim.gif"),
    ],
)
def test_it_asks_again_for_a_photo_when_given_something_else(at_photo, send):
    send(at_photo)

    assert "JPEG, PNG или WebP" in at_photo.last_reply()
    assert step_of(at_photo) == "photo"


def test_it_refuses_an_image_file_over_20_mb(at_photo):
    at_photo.send_document(mime_type="image/jpeg", file_size=26_214_400, file_name="huge.jpg")

    reply = at_photo.last_reply()
    assert "25,0 МБ" in reply and "20 МБ" in reply
    assert step_of(at_photo) == "photo"


@pytest.mark.parametrize("text, length", [("ок", 2), ("x" * 1001, 1001), ("   ab   ", 2)])
def test_it_asks_again_for_a_description_of_3_to_1000_characters(at_description, text, length):
    at_description.send(text)

    reply = at_description.last_reply()
    assert "от 3 до 1000" in reply and str(length) in reply
    assert step_of(at_description) == "description"


def test_it_asks_for_text_when_a_photo_comes_instead_of_the_description(at_description):
    at_description.send_photo()

    assert "от 3 до 1000" in at_description.last_reply()
    assert step_of(at_description) == "description"


def test_it_repeats_the_template_choice_on_text(at_description):
    at_description.send("Кружка")

    at_description.send("хочу красиво")

    assert "кнопками" in at_description.last_reply()
    assert step_of(at_description) == "template"


def test_it_refuses_an_own_prompt_over_2000_characters(at_description):
    at_description.send("Кружка")
    at_description.tap("flow:tpl:own")

    at_description.send("я" * 2001)

    assert "2001" in at_description.last_reply()
    assert step_of(at_description) == "wishes"


def test_it_refuses_wishes_over_1000_characters(at_description):
    at_description.send("Кружка")
    at_description.tap("flow:tpl:ugc")

    at_description.send("я" * 1001)

    assert "1001" in at_description.last_reply()


def test_it_refuses_a_template_of_the_other_kind(at_description):
    at_description.send("Кружка")

    at_description.tap("flow:tpl:studio")

    assert at_description.toasts()[-1] == "Эта кнопка больше не действует."
    assert step_of(at_description) == "template"


def test_it_ignores_a_stale_confirmation_button(at_description):
    at_description.send("Кружка")
    at_description.tap("flow:tpl:ugc")
    at_description.send("-")
    at_description.tap("flow:sec:10")
    at_description.tap("flow:n:1")
    old_token = FlowState.objects.get(user__telegram_id=at_description.id).draft["token"]
    at_description.tap("flow:back")
    at_description.tap("flow:n:3")
    at_description.replies()

    at_description.tap(f"flow:ok:{old_token}")

    assert at_description.toasts()[-1] == "Эта кнопка больше не действует."
    assert at_description.replies() == []
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    "data",
    ["", "zzz", "flow:", "flow:n:7", "flow:ok:", "menu:nothing", "gen:send:abc", "gen:boom:1", "cx:yes:-1", "x" * 64],
)
def test_it_answers_junk_button_data_with_no_longer_valid(at_description, data):
    at_description.tap(data)

    assert at_description.toasts()[-1] == "Эта кнопка больше не действует."
    assert at_description.replies() == []
    assert step_of(at_description) == "description"


def test_it_does_not_let_a_button_reach_another_users_generation(chat, new_chat):
    stranger = new_chat(user_id=999)
    stranger.send("/start")
    give_credits(999, 50)
    from accounts.models import TelegramUser

    (theirs,) = make_generations(TelegramUser.objects.get(telegram_id=999), count=1)
    chat.send("/start")
    chat.replies()

    chat.tap(f"gen:send:{theirs.pk}")
    chat.tap(f"gen:again:{theirs.pk}")

    assert chat.toasts()[-2:] == ["Эта кнопка больше не действует."] * 2
    assert chat.replies() == []


def test_it_shows_the_menu_for_text_outside_any_flow(chat):
    chat.send("/start")
    chat.replies()

    chat.send("привет")

    assert "Что создадим?" in chat.last_reply()
    assert "🎬 Создать видео" in chat.buttons()


def test_it_answers_an_unknown_command(chat):
    chat.send("/foo")

    assert "/help" in chat.last_reply()
