"""Invite links and campaign links: recorded at first contact only, through the real webhook."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings

from accounts.models import TelegramUser
from billing import ledger, referrals
from billing.models import CreditTransaction
from tests.factories import make_user


def inviter(**fields):
    user = make_user(**fields)
    referrals.code_for(user)
    return user


def user_of(chat):
    return TelegramUser.objects.get(telegram_id=chat.id)


def test_it_binds_a_new_user_to_the_inviter_and_gives_the_welcome_once(new_chat):
    friend = inviter(telegram_id=5001)
    chat = new_chat(user_id=5002)

    chat.send(f"/start ref_{friend.referral_code}")
    chat.send(f"/start ref_{friend.referral_code}")

    user = user_of(chat)
    assert user.referred_by == friend and user.balance == 3
    assert list(CreditTransaction.objects.filter(user=user).values_list("kind", "amount")) == [("referral_welcome", 3)]
    first, second = chat.replies()[-2:]
    assert first.startswith("Вас пригласил друг: на баланс добавлено 3 кредита в подарок.")
    assert "Вас пригласил друг" not in second and "Вы уже с нами" in second
    assert ledger.find_mismatches() == []


def test_it_does_not_bind_an_existing_user_again(new_chat):
    first, second = inviter(telegram_id=5011), inviter(telegram_id=5012)
    chat = new_chat(user_id=5013)
    chat.send(f"/start ref_{first.referral_code}")

    chat.send(f"/start ref_{second.referral_code}")

    assert user_of(chat).referred_by == first
    assert "Вы уже с нами, поэтому пригласительная ссылка ничего не меняет" in chat.last_reply()
    assert CreditTransaction.objects.filter(kind="referral_welcome").count() == 1


def test_it_never_binds_a_user_who_came_without_a_link(new_chat):
    friend = inviter(telegram_id=5021)
    chat = new_chat(user_id=5022)
    chat.send("/start")

    chat.send(f"/start ref_{friend.referral_code}")

    assert user_of(chat).referred_by is None and user_of(chat).balance == 0


@pytest.mark.django_db
def test_it_refuses_a_self_invite():
    # A code whose owner has the newcomer's Telegram id: can't be made through the bot, refused all the same.
    TelegramUser.objects.create(telegram_id=5031, referral_code="selfcode")
    assert referrals.referrer_for("selfcode", telegram_id=5031) is None
    assert referrals.referrer_for("selfcode", telegram_id=5032) is not None


def test_it_ignores_an_unknown_code_quietly(new_chat):
    chat = new_chat(user_id=5041)

    chat.send("/start ref_nosuchcode")

    assert user_of(chat).referred_by is None and user_of(chat).balance == 0
    assert chat.last_reply().startswith("Привет, Анна!")


@override_settings(REFERRAL_WELCOME_CREDITS=0)
def test_it_binds_without_a_welcome_when_there_is_none(new_chat):
    friend = inviter(telegram_id=5051)
    chat = new_chat(user_id=5052)

    chat.send(f"/start ref_{friend.referral_code}")

    assert user_of(chat).referred_by == friend and user_of(chat).balance == 0
    assert "Вас пригласил друг" not in chat.last_reply()


def test_it_records_the_campaign_at_first_contact_only(new_chat):
    chat = new_chat(user_id=5061)

    chat.send("/start src_vk-ads_2026")
    chat.send("/start src_telegram_channel")

    assert user_of(chat).campaign == "vk-ads_2026"


def test_it_records_no_campaign_for_a_payload_it_does_not_know(new_chat):
    chat = new_chat(user_id=5071)

    chat.send("/start src_" + "x" * 65)

    assert user_of(chat).campaign == ""


def test_it_shows_the_invite_link_with_a_share_button_and_what_it_brought(new_chat):
    chat = new_chat(user_id=5081)
    chat.send("/start")

    chat.send("/invite")
    chat.send("/invite")

    user = user_of(chat)
    link = f"https://t.me/neurocards_test_bot?start=ref_{user.referral_code}"
    *_, first, second = chat.replies()
    assert first == second  # the code is made once
    assert len(user.referral_code) == 8 and link in second
    assert "По вашей ссылке пришли 0 друзей; вы заработали 0 кредитов." in second
    ((button,),) = chat.last_keyboard()
    share = parse_qs(urlsplit(button["url"]).query)
    assert button["text"] == "📨 Поделиться ссылкой" and share["url"] == [link]


def test_it_counts_the_friends_who_joined_and_what_they_earned_the_inviter(new_chat):
    chat = new_chat(user_id=5091)
    chat.send("/invite")
    code = user_of(chat).referral_code
    for friend_id in (5092, 5093):
        new_chat(user_id=friend_id).send(f"/start ref_{code}")

    chat.send("/invite")

    assert "По вашей ссылке пришли 2 друга; вы заработали 0 кредитов." in chat.last_reply()


def test_it_speaks_english_on_the_invite_page(new_chat):
    chat = new_chat(user_id=5101, first_name="Ann", language_code="en")

    chat.send("/invite")

    reply = chat.last_reply()
    assert reply.startswith("Invite friends who sell on marketplaces.")
    assert "0 friends have joined so far; you have earned 0 credits." in reply


def test_it_opens_the_invite_page_from_a_menu_button(new_chat):
    chat = new_chat(user_id=5111)
    chat.send("/start")

    chat.tap("menu:invite")

    assert "Ваша личная ссылка" in chat.last_reply()


def test_it_greets_an_invited_newcomer_in_english(new_chat):
    friend = inviter(telegram_id=5121)
    chat = new_chat(user_id=5122, first_name="Ann", language_code="en")

    chat.send(f"/start ref_{friend.referral_code}")

    reply = chat.last_reply()
    assert reply.startswith("A friend invited you: 3 credits are added to your balance as a gift.")
    assert "Hi, Ann!" in reply
