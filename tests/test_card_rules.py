"""The text on a card against the marketplaces' rules: prices, discounts, calls to buy, contacts and links."""

import pytest

from generations.card_rules import problems


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Всего 990 ₽", "990 ₽"),
        ("Цена 1 500 руб.", "1 500 руб."),
        ("Дешевле, чем в магазине: 99 р.", "99 р."),
        ("Only $20", "$20"),
        ("15 € per pack", "15 €"),
        ("Скидка 30% до пятницы", "Скидка"),
        ("Выгода -50%", "-50%"),
        ("Big SALE today", "SALE"),
        ("Распродажа коллекции", "Распродажа"),
        ("Акция: два по цене одного", "Акция"),
        ("Купи сейчас", "Купи"),
        ("Закажите сегодня", "Закажите"),
        ("Успей забрать", "Успей"),
        ("Звоните нам", "Звоните"),
        ("Переходи по ссылке", "Переходи"),
        ("Добавь в корзину", "Добавь в корзину"),
        ("Buy now and save", "Buy"),
        ("Add to cart", "Add to cart"),
        ("Тел. +7 (999) 123-45-67", "+7 (999) 123-45-67"),
        ("8 800 555 35 35 бесплатно", "8 800 555 35 35"),
        ("Пишите: shop@example.com", "shop@example.com"),
        ("Наш сайт https://shop.example.com/mug", "https://shop.example.com/mug"),
        ("Каталог на www.mugs.ru", "www.mugs.ru"),
        ("Больше на mugs-shop.ru", "mugs-shop.ru"),
        ("Мы в Telegram: @mug_shop", "@mug_shop"),
    ],
)
def test_it_finds_what_the_marketplaces_forbid(text, fragment):
    assert fragment in problems([text])


@pytest.mark.parametrize(
    "text",
    [
        "Термокружка 350 мл",
        "Держит тепло 6 часов",
        "Сталь 304",
        "2 в 1: кружка и крышка",
        "100% хлопок",
        "Размер 42-44",
        "Объём 1,5 л, вес 320 г",
        "Зарядка USB-C, 5000 мА·ч",
        "Подходит для посудомоечной машины",
        "Ценный подарок",
        "BPA free, dishwasher safe",
        "Холодное и горячее до 95 °C",
        "1200×1600, формат 3:4",
    ],
)
def test_it_lets_product_facts_with_numbers_pass(text):
    assert problems([text]) == []


def test_it_names_each_fragment_once_in_the_order_found():
    found = problems(["Скидка! Купи за 500 ₽", "скидка только сегодня", "Пишите @shop"])

    assert found == ["Скидка", "Купи", "500 ₽", "Пишите", "@shop"]


def test_it_takes_an_email_as_one_fragment_not_a_handle_and_a_domain():
    assert problems(["mail: anna.seller@mail.ru"]) == ["anna.seller@mail.ru"]
