from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from botapp.models import FlowState
from generations.models import Generation
from tests.factories import give_credits


def start_video(chat, credits=100):
    chat.send("/start")
    give_credits(chat.id, credits)
    chat.tap("menu:video")


def test_it_takes_a_seller_from_photo_to_a_confirmed_order_of_three_videos(chat):
    start_video(chat)
    assert "фото товара" in chat.last_reply()

    chat.send_photo(file_id="AgACphoto-large")
    assert "опишите товар" in chat.last_reply().lower()

    chat.send("Керамическая кружка ручной работы, 350 мл")
    assert "шаблон" in chat.last_reply().lower()
    assert chat.buttons()[:4] == ["Видео-отзыв покупателя", "Рекламный ролик", "Видеообложка Ozon", "Свой сценарий"]

    chat.tap("flow:tpl:ugc")
    assert "Пропустить" in chat.last_reply()

    chat.send("-")
    assert "Какой длины" in chat.last_reply()

    chat.tap("flow:sec:10")
    assert "Сколько" in chat.last_reply()
    chat.tap("flow:n:3")
    confirm = chat.last_reply()
    assert "3 видео, шаблон «Видео-отзыв покупателя»" in confirm and "30 кредитов" in confirm
    assert "100 → 70" in confirm and "Длительность: 10 секунд" in confirm
    assert chat.buttons() == ["✅ Подтвердить", "⬅️ Назад", "✖️ Отмена"]

    chat.tap_button("Подтвердить")

    accepted = chat.last_reply()
    assert "3" in accepted and "Место в очереди: 1" in accepted
    generations = list(Generation.objects.order_by("pk"))
    assert [(g.kind, g.template, g.status, g.cost, g.wishes) for g in generations] == [
        ("video", "ugc", "queued", 10, "")
    ] * 3
    assert {g.reference_file_id for g in generations} == {"AgACphoto-large"}
    assert {g.description for g in generations} == {"Керамическая кружка ручной работы, 350 мл"}
    assert len({g.order_id for g in generations}) == 1
    assert TelegramUser.objects.get(telegram_id=chat.id).balance == 70
    assert CreditTransaction.objects.filter(kind="generation_charge").count() == 3
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "idle"
    assert ledger.find_mismatches() == []


def test_it_keeps_the_wishes_for_the_prompt_writer(chat):
    start_video(chat)
    chat.send_photo()
    chat.send("Рюкзак городской, водонепроницаемый")
    chat.tap("flow:tpl:ad")
    chat.send("Осенний парк, динамичный монтаж")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")
    chat.tap_button("Подтвердить")

    generation = Generation.objects.get()
    assert (generation.template, generation.wishes) == ("ad", "Осенний парк, динамичный монтаж")


def test_it_takes_the_photo_caption_as_the_description(chat):
    start_video(chat)

    chat.send_photo(caption="Кружка с котиком, 300 мл")

    assert "шаблон" in chat.last_reply().lower()
    assert FlowState.objects.get(user__telegram_id=chat.id).draft["description"] == "Кружка с котиком, 300 мл"


def test_it_goes_back_a_step_and_forward_again(chat):
    start_video(chat)
    chat.send_photo()
    chat.send("Кружка")
    chat.tap("flow:tpl:ugc")

    chat.tap("flow:back")
    assert "шаблон" in chat.last_reply().lower()
    chat.tap("flow:back")
    assert "опишите товар" in chat.last_reply().lower()
    chat.send("Кружка большая")
    assert FlowState.objects.get(user__telegram_id=chat.id).draft["description"] == "Кружка большая"


def test_it_cancels_the_flow_at_any_step_without_charging(chat):
    start_video(chat)
    chat.send_photo()
    chat.send("Кружка")
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:5")

    chat.tap("flow:cancel")

    assert "кредиты не списаны" in chat.last_reply().lower()
    assert not Generation.objects.exists()
    assert TelegramUser.objects.get(telegram_id=chat.id).balance == 100
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "idle"


def test_it_survives_a_step_on_another_web_process(chat, bot_server):
    # The flow lives in the database: a fresh Chat object (another process's view) carries on.
    start_video(chat)
    chat.send_photo()

    chat.send("Кружка, 350 мл")

    assert FlowState.objects.get(user__telegram_id=chat.id).step == "template"
