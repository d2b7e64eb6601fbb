"""/help takes prices, durations and formats from the settings and generations.formats, never from its words."""

from django.test import override_settings
from django.utils import translation

from botapp import texts
from botapp.profile import COMMANDS
from generations.formats import CARD_FORMATS
from messaging.texts import format_name, template_name


def help_in(language):
    with translation.override(language):
        return texts.help_text()


def test_it_names_every_card_format():
    text = help_in("ru")

    assert "<b>Карточки</b>: 3 кредита за штуку." in text
    with translation.override("ru"):
        names = [format_name(name) for name in CARD_FORMATS]
    assert "Форматы: " + "; ".join(names) + "." in text
    assert "Яндекс Маркет, квадрат 1:1" in text


def test_it_prices_every_video_duration():
    assert "<b>Видео</b>: 10 кредитов за 10 секунд, 15 кредитов за 15 секунд; вертикальные, 9:16." in help_in("ru")


@override_settings(VIDEO_COSTS={10: 12, 15: 21}, IMAGE_COST=4)
def test_it_changes_with_the_prices():
    text = help_in("ru")

    assert "<b>Карточки</b>: 4 кредита за штуку." in text
    assert "12 кредитов за 10 секунд, 21 кредит за 15 секунд" in text
    assert "10 кредитов" not in text


@override_settings(VIDEO_COSTS={15: 15}, KIE_VIDEO_SECONDS=15, KIE_VIDEO_ASPECT_RATIO="landscape")
def test_it_changes_with_the_durations_and_the_shape():
    text = help_in("ru")

    assert "<b>Видео</b>: 15 кредитов за 15 секунд; горизонтальные, 16:9." in text
    assert "10 секунд" not in text


def test_it_names_the_infographic_and_the_ozon_cover():
    text = help_in("ru")

    with translation.override("ru"):
        infographic, cover = template_name("infographic"), template_name("ozon_cover")
    assert f"«{infographic}» — ваш заголовок и до 4 преимуществ прямо на карточке" in text
    assert f"«{cover}» — для Ozon: заголовок и преимущества в первые секунды" in text


def test_it_is_in_english_for_english_sellers():
    text = help_in("en")

    assert "<b>Image cards</b>: 3 credits each. Formats: Wildberries / Ozon, 3:4;" in text
    assert "<b>Videos</b>: 10 credits for 10 seconds, 15 credits for 15 seconds; vertical, 9:16." in text


def test_it_names_the_commands_of_the_bots_menu():
    with translation.override("ru"):
        shown = texts.help_text()

    # /help is this text; /paysupport (Telegram's payments rule) is named where payments are.
    assert [name for name in COMMANDS if f"/{name}" not in shown] == ["paysupport", "help"]
