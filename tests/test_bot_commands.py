from django.core.files.base import ContentFile

from accounts.models import TelegramUser
from billing import ledger
from generations.models import Generation
from tests.factories import give_credits, make_generations


def user_of(chat):
    return TelegramUser.objects.get(telegram_id=chat.id)


def test_it_shows_the_balance_and_the_prices(chat):
    chat.send("/start")
    give_credits(chat.id, 100)

    chat.send("/balance")

    reply = chat.last_reply()
    assert "Баланс: <b>100 кредитов</b>" in reply and "10 кредитов" in reply and "3 кредита" in reply
    assert "🛒 Купить кредиты" not in chat.buttons()


def test_it_says_when_the_balance_is_below_one_video(chat):
    chat.send("/start")
    give_credits(chat.id, 9)

    chat.send("/balance")

    assert chat.last_reply().endswith("\n\nХватит на 3 карточки, но пока не на видео.")
    assert chat.buttons() == ["🛒 Купить кредиты", "🎁 У меня промокод"]


def test_it_says_what_the_balance_is_enough_for_without_a_warning(chat):
    chat.send("/start")
    give_credits(chat.id, 29)

    chat.send("/balance")

    reply = chat.last_reply()
    assert reply.endswith("\n\nХватит на 9 карточек или 2 видео.")
    assert "заканчиваются" not in reply and "Пополните" not in reply
    assert chat.buttons() == ["🎁 У меня промокод"]


def test_it_says_when_the_balance_is_below_one_card(chat):
    chat.send("/start")
    give_credits(chat.id, 2)

    chat.send("/balance")

    assert chat.last_reply().endswith(
        "Пока не хватает ни на карточку, ни на видео. Пополните баланс, чтобы продолжить."
    )
    assert chat.buttons() == ["🛒 Купить кредиты", "🎁 У меня промокод"]


def test_it_says_what_the_balance_is_enough_for_in_english(new_chat):
    chat = new_chat(user_id=334, first_name="Ann", language_code="en")
    chat.send("/start")
    give_credits(334, 13)

    chat.send("/balance")

    assert chat.last_reply().endswith("Enough for 4 image cards or 1 video.")


def test_it_agrees_the_russian_counts(chat):
    chat.send("/start")
    give_credits(chat.id, 63)

    chat.send("/balance")

    assert chat.last_reply().endswith("Хватит на 21 карточку или 6 видео.")


def test_it_gives_support_the_users_id_to_copy(chat):
    chat.send("/support")

    reply = chat.last_reply()
    assert f"<code>{chat.id}</code>" in reply and "@anna_seller" in reply and "@neurocards_help" in reply
    button = chat.last_keyboard()[0][0]
    assert button["url"] == "https://t.me/neurocards_help"


def test_it_says_what_support_helps_with_and_how_to_reach_it(chat):
    chat.send("/support")

    reply = chat.last_reply()
    assert reply.startswith("<b>Поддержка</b>\nНапишите нам, если:\n")
    for case in (
        "• вы заплатили, а кредиты не пришли;",
        "• результат не пришёл или с ним что-то не так;",
        "• вы хотите вернуть деньги за неизрасходованные кредиты;",
        "• вы хотите удалить свои данные.",
    ):
        assert case in reply
    assert "Пишите @neurocards_help (кнопка ниже) и указывайте свой Telegram ID" in reply


def test_it_explains_itself_and_the_data_it_keeps(chat):
    chat.send("/help")
    chat.send("/privacy")

    help_text, privacy = chat.replies()
    assert "/cancel" in help_text and "3:4" in help_text
    assert "через 7 дней" in privacy and "через 30 дней" in privacy and "@neurocards_help" in privacy


def test_it_lists_the_last_10_generations_and_resends_a_finished_one(chat, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    chat.send("/start")
    user = user_of(chat)
    generations = make_generations(user, count=12, cost=10)
    done = generations[-1]
    done.status = Generation.Status.COMPLETED
    done.result_file.save("result.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42 video"), save=True)

    chat.send("/history")

    lines = chat.last_reply().splitlines()
    assert len(lines) == 11 and lines[1].startswith(f"#{done.pk} видео") and "готово" in lines[1]
    assert chat.buttons() == [f"Прислать #{done.pk} ещё раз"]

    chat.tap(f"gen:send:{done.pk}")

    video = chat.telegram.requests("sendVideo")[-1]
    assert video.files["video"][1] == b"\x00\x00\x00\x18ftypmp42 video"
    assert f"#{done.pk}" in video.params["caption"]


def test_it_offers_the_same_product_again(chat):
    chat.send("/start")
    (generation,) = make_generations(user_of(chat), count=1)
    generation.reference_file_id = "AgACsame"
    generation.save()

    chat.tap(f"gen:again:{generation.pk}")

    assert "Выберите шаблон для видео" in chat.last_reply()
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")
    assert "A ceramic mug" in chat.last_reply()


def test_it_cancels_what_is_in_progress_and_refunds_once(chat):
    chat.send("/start")
    give_credits(chat.id, 50)
    user = user_of(chat)
    generations = make_generations(user, count=3, cost=10)
    ledger.charge_generations(generations=generations)
    Generation.objects.filter(pk=generations[0].pk).update(status=Generation.Status.PROCESSING)
    Generation.objects.filter(pk=generations[2].pk).update(status=Generation.Status.COMPLETED)

    chat.send("/cancel")
    assert "Отменить их и вернуть 20 кредитов?" in chat.last_reply()
    yes = chat.last_keyboard()[0][0]["callback_data"]
    chat.tap(yes)
    chat.tap(yes)

    first, second = chat.replies()
    assert "Отменены 2 генерации" in first and "20 кредитов" in first and "Баланс: 40 кредитов" in first
    assert "всё успело завершиться" in second
    assert user_of(chat).balance == 40
    statuses = list(Generation.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["cancelled", "cancelled", "completed"]
    assert ledger.find_mismatches() == []


def test_it_does_not_cancel_an_order_placed_after_the_question(chat):
    chat.send("/start")
    give_credits(chat.id, 50)
    user = user_of(chat)
    ledger.charge_generations(generations=make_generations(user, count=1))
    chat.send("/cancel")
    yes = chat.last_keyboard()[0][0]["callback_data"]
    later = make_generations(user, count=1)
    ledger.charge_generations(generations=later)

    chat.tap(yes)

    assert Generation.objects.get(pk=later[0].pk).status == "queued"


def test_it_says_when_there_is_nothing_to_cancel(chat):
    chat.send("/cancel")

    assert "ничего нет в работе" in chat.last_reply()


def test_it_speaks_english_through_a_whole_order(new_chat):
    chat = new_chat(user_id=333, first_name="Ann", language_code="en")
    chat.send("/start")
    give_credits(333, 10)
    chat.tap("menu:video")
    chat.send_photo()
    chat.send("Handmade ceramic mug, 350 ml")
    chat.tap("flow:tpl:ugc")
    chat.send("-")
    chat.tap("flow:sec:10")
    chat.tap("flow:n:1")
    chat.tap_button("Confirm")

    replies = chat.replies()
    assert replies[-1].startswith("Accepted: 1 video.")
    assert "1 video, template “Buyer's video review”" in replies[-2]
