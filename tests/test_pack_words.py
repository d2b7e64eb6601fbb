"""What a buyer reads about packs and payments: Russian pack names, only the methods on sale, and a
payment description and 54-FZ receipt line in Russian whatever the buyer's language."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import translation

from billing import yookassa
from billing.models import CreditPack
from tests.factories import make_payment, make_user

renames = importlib.import_module("billing.migrations.0006_russian_pack_names")


@pytest.fixture
def pack(transactional_db):
    return CreditPack.objects.create(name="Продавец", credits=100, price_rub="890.00", price_stars=450)


@pytest.mark.parametrize(
    "methods, line, buttons",
    [
        (
            ["yookassa", "stars"],
            "• Продавец: 100 кредитов — 890 ₽ или 450 ⭐",
            ["Продавец · 890 ₽", "Продавец · 450 ⭐"],
        ),
        (["stars"], "• Продавец: 100 кредитов — 450 ⭐", ["Продавец · 450 ⭐"]),
        (["yookassa"], "• Продавец: 100 кредитов — 890 ₽", ["Продавец · 890 ₽"]),
    ],
)
def test_it_prices_the_packs_in_the_methods_on_sale_only(chat, pack, settings, methods, line, buttons):
    settings.PAYMENT_METHODS = methods

    chat.send("/buy")

    assert line in chat.last_reply().splitlines()
    assert chat.buttons() == [*buttons, "🎁 У меня промокод"]


def test_it_lists_the_prices_of_cards_and_of_each_video_duration(chat, pack):
    chat.send("/buy")

    assert chat.last_reply().endswith(
        "\nКарточка: 3 кредита. Видео: 10 кредитов за 10 секунд, 15 кредитов за 15 секунд."
    )


@pytest.mark.django_db
def test_it_names_the_default_packs_in_russian():
    call_command("setup_packs", stdout=io.StringIO())

    assert list(CreditPack.objects.values_list("name", "credits")) == [("Старт", 30), ("Продавец", 100), ("Профи", 300)]


@pytest.mark.django_db
def test_it_renames_the_english_default_packs_and_no_others():
    for name, credits in [("Start", 30), ("Seller", 100), ("Pro", 300), ("Seller", 120), ("Мой пакет", 30)]:
        CreditPack.objects.create(name=name, credits=credits, price_rub="100.00", price_stars=50)

    renames.to_russian(apps, None)

    names = list(CreditPack.objects.order_by("pk").values_list("name", flat=True))
    assert names == ["Старт", "Продавец", "Профи", "Seller", "Мой пакет"]


@pytest.mark.parametrize(
    "credits, line", [(1, "NeuroCards: 1 кредит"), (3, "NeuroCards: 3 кредита"), (30, "NeuroCards: 30 кредитов")]
)
@pytest.mark.django_db
def test_it_writes_the_receipt_line_in_russian_for_an_english_buyer(credits, line):
    payment = make_payment(make_user(language_code="en"), credits=credits)
    payment.refresh_from_db()  # the amount as the database has it, a Decimal

    with translation.override("en"):
        receipt = yookassa.receipt(payment, email="ann@example.com")

    assert receipt["items"][0]["description"] == line


def test_it_describes_the_payment_and_the_receipt_in_russian_for_an_english_buyer(new_chat, shop, settings):
    settings.YOOKASSA_RECEIPTS = True
    shop.yookassa.receipts_required = True
    chat = new_chat(user_id=666, first_name="Ann", language_code="en")
    chat.send("/start")
    chat.send("/email")
    chat.send("ann@example.com")

    chat.tap(f"buy:{shop.pack.pk}:yk")

    body = shop.yookassa.requests("POST", "/v3/payments")[0].body
    assert body["description"] == "NeuroCards: 100 кредитов"
    assert body["receipt"]["items"][0]["description"] == "NeuroCards: 100 кредитов"
    assert any(text.startswith("Pack “Seller”: 100 credits") for text in chat.replies())
