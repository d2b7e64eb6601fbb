"""The text on an infographic or a cover: parsed from what the seller typed, or suggested from the description."""

import json

import pytest

from generations import points


def test_it_takes_the_first_line_as_the_title_and_the_next_ones_as_points():
    text = "Термокружка 450 мл\n• Держит тепло 8 часов\n- Не протекает\n1. Сталь 304\n2) 2 в 1\n"

    assert points.parse(text) == ("Термокружка 450 мл", ["Держит тепло 8 часов", "Не протекает", "Сталь 304", "2 в 1"])


def test_it_strips_emoji_bullets_and_keycaps_and_drops_empty_lines():
    text = "✨ Кружка «Утро»\n\n✅ Объём 350 мл\n✔️ Керамика\n1️⃣ Ручная работа\n🔹   \n"

    assert points.parse(text) == ("Кружка «Утро»", ["Объём 350 мл", "Керамика", "Ручная работа"])


def test_it_keeps_numbers_that_are_not_numbering():
    assert points.parse("Кружка\n1.5 литра\n3 слоя стали") == ("Кружка", ["1.5 литра", "3 слоя стали"])


def test_it_refuses_a_title_too_long_with_the_numbers():
    with pytest.raises(points.PointsRefused) as refused:
        points.parse("Т" * 41 + "\nКерамика")

    assert (refused.value.reason, refused.value.numbers) == ("title_long", {"length": 41, "limit": 40})


def test_it_refuses_a_point_too_long_and_says_which():
    with pytest.raises(points.PointsRefused) as refused:
        points.parse("Кружка\nКерамика\n" + "д" * 61)

    assert (refused.value.reason, refused.value.numbers) == ("point_long", {"number": 2, "length": 61, "limit": 60})


def test_it_refuses_more_than_four_points():
    with pytest.raises(points.PointsRefused) as refused:
        points.parse("Кружка\nа1\nа2\nа3\nа4\nа5")

    assert (refused.value.reason, refused.value.numbers) == ("too_many", {"count": 5, "limit": 4})


def test_it_refuses_nothing_but_bullets():
    with pytest.raises(points.PointsRefused) as refused:
        points.parse(" •\n - \n")

    assert refused.value.reason == "empty"


def test_its_fallback_splits_the_description_into_a_title_and_short_points(settings):
    settings.OPENAI_API_KEY = ""
    description = "Термокружка из стали 304. Держит тепло 8 часов, не протекает; подходит для подстаканника в машине!"

    assert points.suggest(description, kind="image") == (
        "Термокружка из стали 304",
        ["Держит тепло 8 часов", "Не протекает", "Подходит для подстаканника в машине"],
    )


def test_its_fallback_shortens_at_a_word_and_leaves_out_what_breaks_the_rules(settings):
    settings.OPENAI_API_KEY = ""
    description = (
        "Большая керамическая кружка ручной работы для кофе и чая с рисунком. Скидка 20%. "
        "Глазурь без свинца, можно мыть в посудомоечной машине и греть в микроволновке каждый день"
    )

    title, found = points.suggest(description, kind="image")

    assert title == "Большая керамическая кружка ручной"
    assert found == ["Глазурь без свинца", "Можно мыть в посудомоечной машине и греть в микроволновке"]


@pytest.fixture
def openai(settings, openai_server):
    from generations import prompts

    openai_server.reset()
    settings.OPENAI_API_KEY = openai_server.api_key
    settings.OPENAI_BASE_URL = openai_server.base_url
    prompts._client.cache_clear()
    yield openai_server
    prompts._client.cache_clear()


def test_it_asks_openai_for_json_and_keeps_what_fits(openai):
    answer = {"title": "Термокружка 450 мл", "points": ["Держит тепло 8 часов", "Скидка 30%", "Не протекает"]}
    openai.reply_with("```json\n" + json.dumps(answer, ensure_ascii=False) + "\n```")

    assert points.suggest("Термокружка 450 мл из стали", kind="image") == (
        "Термокружка 450 мл",
        ["Держит тепло 8 часов", "Не протекает"],
    )
    (call,) = openai.requests("/chat/completions")
    assert "JSON" in call.params["messages"][0]["content"]
    assert call.params["messages"][1]["content"] == "Product: Термокружка 450 мл из стали"


def test_it_reads_an_answer_one_per_line_when_it_is_not_json(openai):
    openai.reply_with("Термокружка\n- Держит тепло\n- Не протекает")

    assert points.suggest("Термокружка", kind="video") == ("Термокружка", ["Держит тепло", "Не протекает"])


def test_it_falls_back_to_the_description_when_openai_fails(openai):
    openai.fail_next(status=500, type="server_error", times=3)

    assert points.suggest("Кружка керамическая, 350 мл. Ручная работа", kind="image") == (
        "Кружка керамическая, 350 мл",
        ["Ручная работа"],
    )


def test_it_falls_back_when_openai_is_out_of_quota(openai):
    openai.fail_next(status=429, type="insufficient_quota", code="insufficient_quota")

    assert points.suggest("Кружка керамическая, 350 мл. Ручная работа", kind="image") == (
        "Кружка керамическая, 350 мл",
        ["Ручная работа"],
    )


def test_its_fallback_keeps_a_bare_figure_with_the_name(settings):
    settings.OPENAI_API_KEY = ""

    assert points.suggest("Термокружка из стали 304, 450 мл. Не протекает", kind="image") == (
        "Термокружка из стали 304, 450 мл",
        ["Не протекает"],
    )
