"""A friend's whole way through the real Telegram webhook: the invite link, the welcome, a Stars purchase,
the inviter's reward and message."""

from decimal import Decimal

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditPack, Payment
from tests.test_bot_stars import successful


def test_it_rewards_the_inviter_when_the_invited_friend_pays_with_stars(new_chat, workers):
    pack = CreditPack.objects.create(name="Seller", credits=100, price_rub=Decimal("890.00"), price_stars=450)
    inviter = new_chat(user_id=7001, first_name="Борис")
    inviter.send("/invite")
    code = TelegramUser.objects.get(telegram_id=7001).referral_code
    inviter.replies()
    friend = new_chat(user_id=7002)

    friend.send(f"/start ref_{code}")
    friend.tap(f"buy:{pack.pk}:st")
    payment = Payment.objects.get()
    friend.post(successful(friend, payment))
    friend.post(successful(friend, payment))

    assert TelegramUser.objects.get(telegram_id=7002).balance == 103
    assert TelegramUser.objects.get(telegram_id=7001).balance == 10
    assert inviter.replies() == ["Ваш друг купил кредиты — вам +10 кредитов. Баланс: 10 кредитов."]
    inviter.send("/invite")
    assert "По вашей ссылке пришёл 1 друг; вы заработали 10 кредитов." in inviter.last_reply()
    assert ledger.find_mismatches() == []
