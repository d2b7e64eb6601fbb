"""Promo codes through the real webhook: /promo CODE, the «У меня промокод» button and the code next, wrong codes."""

import pytest
from django.utils import timezone

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditPack, PromoAttempt, PromoCode, PromoRedemption
from botapp.models import FlowState
from tests.factories import make_generations


@pytest.fixture
def spring(transactional_db):
    return PromoCode.objects.create(code="SPRING", credits=20)


def balance_of(chat):
    return TelegramUser.objects.get(telegram_id=chat.id).balance


def test_it_redeems_promo_with_the_code(chat, spring, settings):
    settings.WELCOME_CREDITS = 3
    chat.send("/start")
    chat.replies()

    chat.send("/promo  spring ")

    assert chat.replies() == ["Промокод принят: +20 кредитов. Баланс: 23 кредита."]
    assert balance_of(chat) == 23
    assert ledger.find_mismatches() == []


def test_it_redeems_a_code_once_when_the_update_is_delivered_again(chat, spring):
    chat.send("/start")
    update = chat.message_update(text="/promo SPRING")

    for _ in range(3):
        assert chat.post(update).status_code == 200

    assert PromoRedemption.objects.count() == 1
    assert [r for r in chat.replies() if "Промокод" in r] == ["Промокод принят: +20 кредитов. Баланс: 20 кредитов."]


def test_it_asks_for_the_code_from_the_balance_button_and_takes_the_next_message(chat, spring):
    chat.send("/balance")
    chat.tap_button("У меня промокод")
    assert chat.last_reply() == "Отправьте промокод одним сообщением."

    chat.send("Spring")

    assert chat.last_reply() == "Промокод принят: +20 кредитов. Баланс: 20 кредитов."
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "idle"


def test_it_offers_the_promo_button_on_the_buy_screen_and_a_command_leaves_the_question(chat, spring):
    CreditPack.objects.create(name="Seller", credits=100, price_rub="890.00", price_stars=450)
    chat.send("/buy")
    chat.tap_button("У меня промокод")

    chat.send("/start")  # a command at the question leaves it
    chat.send("SPRING")

    assert not PromoRedemption.objects.exists()


def test_it_takes_the_code_on_the_line_after_the_command(chat, spring):
    chat.send("/promo\nspring")

    assert chat.last_reply().startswith("Промокод принят")


def test_it_asks_for_the_code_after_promo_alone(chat, spring):
    chat.send("/promo")
    chat.send("spring")

    assert chat.last_reply().startswith("Промокод принят")


def test_it_asks_again_after_an_unknown_code_and_takes_the_corrected_one(chat, spring):
    chat.send("/promo SPRNG")

    assert chat.last_reply() == "Промокода <b>SPRNG</b> нет. Проверьте его и отправьте ещё раз или нажмите «Отмена»."
    assert chat.buttons() == ["⬅️ Назад", "✖️ Отмена"]
    chat.send("SPRING")
    assert chat.last_reply().startswith("Промокод принят")
    assert PromoAttempt.objects.count() == 1


def test_it_cancels_the_question(chat, spring):
    chat.send("/promo")
    chat.tap_button("Отмена")
    chat.send("SPRING")

    assert not PromoRedemption.objects.exists()


def test_it_says_a_code_is_already_used_and_too_many_tries_in_english(new_chat, spring, settings):
    settings.PROMO_TRIES_PER_HOUR = 2
    chat = new_chat(user_id=555000111, language_code="en")
    chat.send("/promo SPRING")
    assert chat.last_reply() == "Promo code accepted: +20 credits. Balance: 20 credits."

    chat.send("/promo SPRING")
    assert chat.last_reply() == "You have already used this promo code."
    chat.send("/promo <b>")
    assert chat.last_reply() == "That is not a promo code. Check it and send it again, or tap “Cancel”."
    chat.send("NOPE")
    chat.send("/promo SUMMER")

    assert chat.last_reply() == "Too many wrong promo codes. Try again in an hour."


def test_it_says_a_code_has_expired_is_used_up_or_is_for_new_users(chat, transactional_db):
    PromoCode.objects.create(code="OLD", credits=5, valid_until=timezone.now())
    PromoCode.objects.create(code="GONE", credits=5, max_redemptions=0)
    PromoCode.objects.create(code="FIRST", credits=5, new_users_only=True)
    chat.send("/start")
    user = TelegramUser.objects.get(telegram_id=chat.id)
    ledger.grant_credits(user=user, amount=10, actor=None, reason="test set-up", key="setup")
    ledger.charge_generations(generations=make_generations(user, cost=3))

    chat.send("/promo old")
    assert chat.last_reply() == "Срок действия этого промокода истёк."
    chat.send("/promo gone")
    assert chat.last_reply() == "Этот промокод уже закончился."
    chat.send("/promo first")
    assert chat.last_reply() == "Этот промокод только для новых пользователей."


def test_it_answers_a_stale_promo_button_with_a_toast_only(chat, spring):
    chat.send("/start")
    chat.replies()

    chat.tap("promo:other")

    assert chat.replies() == []
    assert chat.toasts()[-1] == "Эта кнопка больше не действует."
    assert FlowState.objects.get(user__telegram_id=chat.id).step == "idle"
