"""What the seller reads about results and failures: natural Russian, one thought per sentence."""

from types import SimpleNamespace

import pytest
from django.test import override_settings

from botapp import texts as bot_texts
from messaging import texts


def generation(kind="image", error_class="", cost=3, pk=41):
    return SimpleNamespace(
        pk=pk, kind=kind, title="Термокружка 350 мл", description="", error_class=error_class, cost=cost
    )


def test_it_explains_a_refused_request_with_one_colon():
    text = texts.failed(generation(error_class="user"))

    assert text == (
        "К сожалению, карточку #41 («Термокружка 350 мл») сделать не получилось. Сервис генерации отклонил "
        "запрос, потому что его правила запрещают такое содержимое фото или текста (реальные люди, бренды, "
        "сцены для взрослых или насилие). Попробуйте другое фото или другую формулировку. "
        "Мы вернули на баланс 3 кредита."
    )
    assert text.count(":") == 0


@pytest.mark.parametrize(
    "error_class, reason",
    [
        ("timeout", "Сервис генерации не уложился в отведённое время."),
        ("temporary", "Сервис генерации несколько раз подряд выдал ошибку."),
        ("billing", "Сервис сейчас перегружен. Мы уже разбираемся, попробуйте, пожалуйста, чуть позже."),
    ],
)
def test_it_tells_a_video_s_failure_and_its_refund(error_class, reason):
    text = texts.failed(generation(kind="video", error_class=error_class, cost=10))

    assert text == (
        f"К сожалению, видео #41 («Термокружка 350 мл») сделать не получилось. {reason} "
        "Мы вернули на баланс 10 кредитов."
    )


@override_settings(SUPPORT_USERNAME="")
def test_it_sends_to_support_in_a_sentence_that_reads():
    assert bot_texts.apology().endswith("Если ошибка повторится, напишите в поддержку: /support.")
    assert "напишите в /support" not in bot_texts.blocked()


def test_it_describes_the_originals_plainly():
    assert texts.original_file() == "Файл в исходном качестве, без сжатия Telegram: его можно загрузить на маркетплейс."
    assert texts.original_files() == (
        "Файлы в исходном качестве, без сжатия Telegram: их можно загрузить на маркетплейс."
    )


def test_it_says_a_retry_and_a_long_wait_about_the_product():
    assert texts.retrying(generation()) == (
        "Карточка #41 («Термокружка 350 мл») делается дольше обычного: у сервиса генерации случился сбой, и я "
        "пробую ещё раз. Делать ничего не нужно."
    )
    assert texts.still_working(generation(kind="video"), 5) == (
        "Видео #41 («Термокружка 350 мл») ещё в работе: обычно видео делается около 5 минут. Пришлю его, как "
        "только оно будет готово."
    )


def test_it_gives_a_link_to_a_video_too_large_for_telegram():
    text = texts.result_link(generation(kind="video"), "https://example.com/r/abc?x=1&y=2", number=2, total=3)

    assert text == (
        "Термокружка 350 мл — видео №2 из 3 готово · #41\n"
        "Видео слишком большое для отправки в Telegram, поэтому вот ссылка для скачивания: "
        "https://example.com/r/abc?x=1&amp;y=2"
    )


@override_settings(RESULT_TTL_DAYS=30)
def test_it_says_a_result_is_gone():
    assert bot_texts.result_gone(generation()) == "Результат #41 уже удалён: результаты хранятся 30 дней."
