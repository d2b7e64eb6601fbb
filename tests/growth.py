"""A small shop's growth for tests: invites, campaign links, rewards, a refund taking one back, a promo code;
every credit through the foundation's ledger functions."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import TelegramUser
from billing import ledger
from billing.models import Payment, PromoCode, PromoRedemption
from tests.factories import make_payment, make_user


@dataclass
class Shop:
    rita: TelegramUser  # the referrer
    ivan: TelegramUser  # invited by Rita through vk_ads; paid twice, one refunded
    olga: TelegramUser  # invited by Rita through vk_ads; paid in Stars
    petr: TelegramUser  # came by tg_post, redeemed a promo code, never paid
    old: TelegramUser  # came by vk_ads 40 days ago, paid this week
    refunded: Payment


def paid(user, *, amount, credits, method=Payment.Method.YOOKASSA):
    payment = make_payment(
        user, amount=amount, credits=credits, method=method, currency="XTR" if method == "stars" else "RUB"
    )
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.SUCCEEDED, paid_at=timezone.now())
    ledger.credit_payment(payment=payment)
    return payment


def rewarded(referrer, payment, credits):
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    ledger.reward_referrer(referrer_id=referrer.pk, payment=payment, credits=credits, daily_cap=300, since=today)


def make_shop():
    rita = make_user(username="rita")
    ivan = make_user(username="ivan", referred_by=rita, campaign="vk_ads")
    olga = make_user(username="olga", referred_by=rita, campaign="vk_ads")
    petr = make_user(username="petr", campaign="tg_post")
    old = make_user(username="old", campaign="vk_ads")
    TelegramUser.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    for invitee in (ivan, olga):
        ledger.grant_referral_welcome(user=invitee, amount=10)

    rewarded(rita, paid(ivan, amount="890.00", credits=100), 10)
    rewarded(rita, paid(olga, amount="450", credits=50, method=Payment.Method.STARS), 5)
    refunded = paid(ivan, amount="1490.00", credits=200)
    rewarded(rita, refunded, 20)
    Payment.objects.filter(pk=refunded.pk).update(status=Payment.Status.REFUNDED)
    ledger.take_back_referral_reward(payment=refunded)
    paid(old, amount="290.00", credits=30)

    promo = PromoCode.objects.create(code="SPRING", credits=20, max_redemptions=10, redeemed=1)
    ledger.credit_promo(redemption=PromoRedemption.objects.create(promo=promo, user=petr, credits=20))
    for user in (rita, ivan, olga, petr, old):
        user.refresh_from_db()
    return Shop(rita, ivan, olga, petr, old, refunded)
