"""A result's caption names the product and says what it is; its file is named after the product."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from generations import names, notify
from messaging import texts
from neurocards.lib.filenames import slug
from tests.results_helpers import SELLER, order, run

pytestmark = pytest.mark.django_db


def test_it_names_the_product_and_the_card_s_place_in_the_order(workers):
    generations = order(workers, count=3)

    run(workers, generations)

    photos = workers.telegram.requests("sendPhoto", chat_id=SELLER)
    assert [photo.params["caption"] for photo in photos] == [
        f"Термокружка 350 мл — карточка №{number} из 3 готова · #{generation.pk}"
        for number, generation in enumerate(generations, 1)
    ]


def test_it_names_a_single_video_and_its_file_after_the_product(workers):
    (generation,) = order(workers, kind="video")

    run(workers, [generation])

    (video,) = workers.telegram.requests("sendVideo", chat_id=SELLER)
    assert video.params["caption"] == f"Термокружка 350 мл — видео готово · #{generation.pk}"
    assert video.files["video"][0] == "termokruzhka-350-ml.mp4"


def test_it_falls_back_to_the_description_s_first_line_escaped_and_shortened():
    card = SimpleNamespace(pk=7, kind="image", title="", description="Кружка <Premium> & co\nвторая строка")
    long = SimpleNamespace(pk=8, kind="video", title="Очень " * 20, description="")

    assert texts.result_ready(card) == "Кружка &lt;Premium&gt; &amp; co — карточка готова · #7"
    caption = texts.result_ready(long, number=2, total=3)
    assert caption.endswith("… — видео №2 из 3 готово · #8") and len(caption) < 100


def test_it_says_it_in_english_to_an_english_speaker():
    card = SimpleNamespace(pk=9, kind="image", title="Thermo mug", description="")

    with translation.override("en"):
        assert texts.result_ready(card, number=2, total=5) == "Thermo mug — card 2 of 5 is ready · #9"


def test_it_makes_ascii_file_names_from_russian_product_names():
    def card(title, pk=12, kind="image"):
        return SimpleNamespace(pk=pk, kind=kind, title=title, description="")

    assert names.file_name(card("Термокружка 350 мл"), 2, 5) == "termokruzhka-350-ml-2.jpg"
    assert names.file_name(card("Щётка для обуви «Ёжик»"), 1, 1) == "shchetka-dlya-obuvi-ezhik.jpg"
    assert names.file_name(card("Подъёмник, объём 5 л", kind="video"), 1, 3) == "podemnik-obem-5-l-1.mp4"
    assert names.file_name(card("🔥🔥🔥"), 1, 1) == "card-12.jpg"
    assert names.file_name(card("🔥", kind="video"), 1, 1) == "video-12.mp4"
    long = slug("Набор профессиональных кухонных ножей из дамасской стали с подставкой")
    assert long == "nabor-professionalnykh-kukhonnykh-nozhey" and len(long) <= 40
    assert slug("Ё" * 60) == "e" * 40


@pytest.mark.django_db(transaction=True)
def test_it_sends_the_same_caption_again_from_history(workers, chat):
    (generation,) = order(workers, kind="video", telegram_id=chat.id)
    run(workers, [generation])
    generation.refresh_from_db()
    workers.telegram.reset()

    chat.send("/history")
    chat.tap(f"gen:send:{generation.pk}")

    (video,) = [call for call in workers.telegram.requests("sendVideo", chat_id=chat.id) if call.status == 200]
    assert video.params["caption"] == notify.caption(generation)
    assert video.params["caption"] == f"Термокружка 350 мл — видео готово · #{generation.pk}"
