"""The credit history in plain words: the user's own ledger rows, newest first, in their language."""

import uuid

import pytest
from django.utils import translation

from billing import ledger
from billing import services as billing
from billing.models import CreditTransaction
from generations import services
from generations.models import Generation
from miniapp import words
from tests.factories import make_payment, make_user, place_order
from tests.fakes.telegram import FakeTelegram
from tests.tma import header

pytestmark = pytest.mark.django_db

API = "/miniapp/api"


@pytest.fixture(autouse=True)
def bot_token(settings):
    settings.TELEGRAM_BOT_TOKEN = FakeTelegram.TOKEN


def test_it_lists_the_users_own_ledger_rows_in_plain_words_newest_first(client, telegram, enqueued):
    seller = make_user(telegram_id=4440001)
    other = make_user(credits=500, telegram_id=4440002)
    ledger.grant_credits(user=seller, amount=3, actor=None, reason="welcome credits", key=f"welcome:{seller.pk}")
    billing.credit(payment=make_payment(seller, credits=50))
    seller.refresh_from_db()
    (generation,) = place_order(seller, telegram=telegram).generations
    services.cancel_generation(generation=generation, reason="cancelled by the user")

    rows = client.get(f"{API}/history", **header(seller, language_code="en")).json()["rows"]

    assert [(row["amount"], row["text"], row["kind"]) for row in rows] == [
        (generation.cost, "Refund for a video", "generation_refund"),
        (-generation.cost, "Video", "generation_charge"),
        (50, "Purchase: 50 credits", "purchase"),
        (3, "Welcome gift", "manual_grant"),
    ]
    assert all(row["at"] for row in rows)
    assert client.get(f"{API}/history", **header(other)).json()["rows"][0]["text"] == "Начислено поддержкой"


def test_it_pages_the_history(client):
    seller = make_user(telegram_id=4440003)
    for _ in range(31):
        ledger.grant_credits(user=seller, amount=1, actor=None, reason="test", key=uuid.uuid4().hex)

    first = client.get(f"{API}/history", **header(seller)).json()
    second = client.get(f"{API}/history?page=2", **header(seller)).json()

    assert (len(first["rows"]), first["next_page"]) == (30, 2)
    assert (len(second["rows"]), second["next_page"]) == (1, None)


@pytest.mark.parametrize(
    "kind, generation_kind, key, english, russian",
    [
        ("purchase", None, "payment:1", "Purchase: 5 credits", "Покупка: 5 кредитов"),
        ("generation_charge", "video", "charge:1", "Video", "Видео"),
        ("generation_charge", "image", "charge:2", "Image card", "Карточка"),
        ("generation_refund", "video", "refund:1", "Refund for a video", "Возврат за видео"),
        ("generation_refund", "image", "refund:2", "Refund for an image card", "Возврат за карточку"),
        ("manual_grant", None, "grant:welcome:7", "Welcome gift", "Приветственный подарок"),
        ("manual_grant", None, "grant:abc", "Credited by support", "Начислено поддержкой"),
        ("manual_revoke", None, "revoke:abc", "Taken back by support", "Списано поддержкой"),
        ("payment_refund", None, "x", "Payment refunded", "Возврат платежа"),
        ("referral_welcome", None, "x", "Gift for joining by a friend's invitation", "Подарок за приглашение от друга"),
        (
            "referral_reward",
            None,
            "x",
            "Reward for an invited friend's purchase",
            "Награда за покупку приглашённого друга",
        ),
        ("referral_reward_taken_back", None, "x", "Invitation reward taken back", "Награда за приглашение отменена"),
        ("promo", None, "x", "Promo code", "Промокод"),
    ],
)
def test_it_has_words_for_every_kind_of_ledger_row(kind, generation_kind, key, english, russian):
    generation = Generation(kind=generation_kind) if generation_kind else None
    row = CreditTransaction(kind=kind, amount=5, idempotency_key=key, generation=generation)

    with translation.override("en"):
        assert words.history(row) == english
    with translation.override("ru"):
        assert words.history(row) == russian


def test_it_names_every_kind_the_ledger_has():
    named = {"purchase", "generation_charge", "generation_refund", "manual_grant", "manual_revoke", "payment_refund"}
    named |= {"referral_welcome", "referral_reward", "referral_reward_taken_back", "promo"}

    assert set(CreditTransaction.Kind.values) == named
