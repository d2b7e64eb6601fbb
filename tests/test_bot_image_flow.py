from accounts.models import TelegramUser
from generations.models import Generation
from tests.factories import give_credits


def test_it_makes_an_image_card_order_with_the_sellers_own_prompt(chat):
    chat.send("/start")
    give_credits(chat.id, 10)
    chat.tap("menu:image")
    assert "для карточки" in chat.last_reply()

    chat.send_document(mime_type="image/webp", file_name="mug.webp", file_id="BQACwebp")
    chat.send("Кружка ручной работы")
    assert chat.buttons()[:4] == [
        "Студийное фото (для главного фото)",
        "Товар в интерьере",
        "Инфографика с преимуществами",
        "Своё описание картинки",
    ]
    chat.tap("flow:tpl:own")
    assert "своими словами" in chat.last_reply()
    chat.send("Кружка на деревянном столе, утренний свет, пар над кофе")
    assert "Выберите формат" in chat.last_reply()
    chat.tap("flow:fmt:wb_ozon")
    chat.tap("flow:n:3")
    confirm = chat.last_reply()
    assert "3 карточки, шаблон «Своё описание картинки»" in confirm and "9 кредитов" in confirm and "10 → 1" in confirm
    assert "Формат: Wildberries / Ozon, 3:4" in confirm
    chat.tap_button("Подтвердить")

    generations = list(Generation.objects.all())
    assert len(generations) == 3
    assert {(g.kind, g.template, g.cost, g.reference_file_id, g.card_format) for g in generations} == {
        ("image", "own", 3, "BQACwebp", "wb_ozon")
    }
    assert generations[0].wishes == "Кружка на деревянном столе, утренний свет, пар над кофе"
    assert TelegramUser.objects.get(telegram_id=chat.id).balance == 1
