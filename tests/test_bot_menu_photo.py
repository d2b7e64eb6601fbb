"""A photo sent at the menu starts an order instead of being dropped; an album gives its first photo, once."""

from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits

ALBUM = "13579246801357924"


def flow_of(chat):
    return FlowState.objects.get(user__telegram_id=chat.id)


def at_menu(chat, credits=30):
    chat.send("/start")
    give_credits(chat.id, credits)
    chat.replies()


def test_it_asks_what_to_make_with_a_photo_sent_at_the_menu_and_uses_it(chat):
    at_menu(chat)

    chat.send_photo(file_id="AgACmenu-photo")
    assert chat.replies() == ["Что сделать с этим фото?"]
    assert chat.buttons() == ["🎬 Видео", "🖼 Карточка", "✖️ Отмена"]

    chat.tap("flow:kind:image")
    assert "опишите товар" in chat.last_reply().lower()  # checked and taken: not asked for again
    draft = flow_of(chat).draft
    assert draft["kind"] == "image" and draft["photo"] == "AgACmenu-photo" and draft["image"]

    chat.send("Кружка ручной работы, 350 мл")
    chat.tap("flow:tpl:studio")
    chat.tap("flow:skip")
    chat.tap("flow:fmt:wb_ozon")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")
    assert Generation.objects.get().reference_file_id == "AgACmenu-photo"


def test_it_takes_the_caption_of_a_photo_sent_at_the_menu_as_the_description(chat):
    at_menu(chat)
    chat.send_photo(caption="Рюкзак городской, водонепроницаемый")

    chat.tap("flow:kind:video")

    assert "Выберите шаблон для видео" in chat.last_reply()
    assert flow_of(chat).draft["description"] == "Рюкзак городской, водонепроницаемый"


def test_it_checks_a_photo_sent_at_the_menu_like_the_photo_step(chat):
    at_menu(chat)
    chat.send_document(mime_type="image/png", content=b"<html>not an image</html>")

    chat.tap("flow:kind:image")

    assert "не похож на изображение" in chat.last_reply()
    assert flow_of(chat).step == "photo"


def test_it_takes_the_first_photo_of_an_album_sent_at_the_menu_and_says_so_once(chat):
    at_menu(chat)

    chat.send_photo(file_id="AgACalbum-1", media_group_id=ALBUM, caption="Кружка с котиком, 300 мл")
    chat.send_photo(file_id="AgACalbum-2", media_group_id=ALBUM)
    chat.send_photo(file_id="AgACalbum-3", media_group_id=ALBUM)

    assert chat.replies() == ["Вы прислали альбом: беру первое фото из альбома.\n\nЧто сделать с этим фото?"]
    chat.tap("flow:kind:video")
    assert chat.replies()[-1].startswith("Выберите шаблон для видео")
    assert flow_of(chat).draft["photo"] == "AgACalbum-1"


def test_it_asks_for_a_template_once_for_an_album_at_the_photo_step(chat):
    at_menu(chat)
    chat.tap("menu:video")
    chat.replies()

    chat.send_photo(file_id="AgACalbum-1", media_group_id=ALBUM, caption="Кружка с котиком, 300 мл")
    chat.send_photo(file_id="AgACalbum-2", media_group_id=ALBUM)
    chat.send_photo(file_id="AgACalbum-3", media_group_id=ALBUM)

    replies = chat.replies()
    assert replies[0] == "Вы прислали альбом: беру первое фото из альбома."
    assert [reply for reply in replies if "Выберите шаблон" in reply] == [replies[1]] and len(replies) == 2
    assert flow_of(chat).draft["photo"] == "AgACalbum-1"


def test_it_answers_a_redelivered_photo_at_the_menu_once(chat):
    at_menu(chat)
    update = chat.message_update(
        photo=[{"file_id": "AgACmenu", "file_unique_id": "AQADm", "width": 800, "height": 1000, "file_size": 9000}]
    )

    assert chat.post(update).status_code == 200
    assert chat.post(update).status_code == 200

    assert chat.replies() == ["Что сделать с этим фото?"]


def test_it_answers_the_kind_buttons_out_of_their_step_as_stale(chat):
    at_menu(chat)
    chat.send_photo()
    chat.tap("flow:kind:image")

    chat.tap("flow:kind:video")

    assert chat.toasts()[-1] == "Эта кнопка больше не действует."
    assert flow_of(chat).draft["kind"] == "image"


def test_it_goes_back_to_the_menu_from_the_question(chat):
    at_menu(chat)
    chat.send_photo()

    chat.tap("flow:cancel")

    assert "Кредиты не списаны" in chat.last_reply() and flow_of(chat).step == "idle"


def test_it_asks_in_english(new_chat):
    chat = new_chat(user_id=919191, language_code="en")
    at_menu(chat)

    chat.send_photo(media_group_id=ALBUM)

    assert chat.replies() == ["You sent an album: I take its first photo.\n\nWhat shall I make with this photo?"]
    assert chat.buttons() == ["🎬 Video", "🖼 Image card", "✖️ Cancel"]


def test_it_asks_about_the_newer_photo_when_another_comes_before_the_choice(chat):
    at_menu(chat)
    chat.send_photo(file_id="AgACfirst")
    chat.send_photo(file_id="AgACsecond")

    chat.tap("flow:kind:image")

    assert "опишите товар" in chat.replies()[-1].lower()
    assert flow_of(chat).draft["photo"] == "AgACsecond"
