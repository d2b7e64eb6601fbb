"""Growth in the operator's figures: `stats` and the dashboard per campaign and per referrer (new users, paying
users, revenue in ₽ and Stars apart), the referral and promo credits, /metrics, and check_ledger over the new
ledger kinds."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from accounts.models import TelegramUser
from ops import stats
from tests.growth import make_shop
from tests.test_metrics import parse, scrape

pytestmark = pytest.mark.django_db


def test_it_counts_new_and_paying_users_and_revenue_per_campaign_and_referrer():
    shop = make_shop()

    growth = stats.collect(days=7)["growth"]

    assert growth["campaigns"] == [
        # The old user arrived before the window but paid in it; Ivan's refunded payment is no revenue.
        {"name": "vk_ads", "new": 2, "paying": 3, "revenue": {"RUB": Decimal("1180.00"), "XTR": Decimal("450")}},
        {"name": "tg_post", "new": 1, "paying": 0, "revenue": {}},
    ]
    assert growth["referrers"] == [
        {"name": shop.rita, "new": 2, "paying": 2, "revenue": {"RUB": Decimal("890.00"), "XTR": Decimal("450")}}
    ]


def test_it_sums_the_referral_and_promo_credits():
    make_shop()

    credits = stats.collect(days=7)["credits"]

    assert (credits["referral_welcome"], credits["referral_rewards"]) == (20, 35)
    assert (credits["referral_rewards_taken_back"], credits["promo"]) == (20, 20)


def test_it_prints_growth_per_campaign_and_referrer(capsys):
    shop = make_shop()

    call_command("stats", days="7")

    out = capsys.readouterr().out
    assert "campaigns: vk_ads 2 new, 3 paying, revenue 1180.00 RUB, 450 XTR; tg_post 1 new, 0 paying, revenue 0" in out
    assert f"top referrers: telegram {shop.rita.telegram_id} 2 new, 2 paying, revenue 890.00 RUB, 450 XTR" in out
    assert "20 referral welcome, 35 referral rewards, 20 referral rewards taken back, 20 promo" in out


def test_it_says_none_when_nobody_came_by_a_link(capsys):
    TelegramUser.objects.create(telegram_id=555)

    call_command("stats", days="7")

    out = capsys.readouterr().out
    assert "campaigns: none" in out and "top referrers: none" in out


def test_it_shows_growth_on_the_dashboard_with_links_to_the_users(client, support):
    shop = make_shop()

    dashboard = client.get("/admin/").context["dashboard"]
    campaigns = dict(dashboard["campaigns"])
    ((referrer, referrer_url, invited),) = dashboard["referrers"]
    listed = client.get(campaigns["vk_ads"]["new"].url).context["cl"].result_list
    invitees = client.get(invited["new"].url).context["cl"].result_list

    assert (campaigns["vk_ads"]["new"].value, campaigns["vk_ads"]["paying"]) == (2, 3)
    assert (campaigns["vk_ads"]["roubles"], campaigns["vk_ads"]["stars"]) == (Decimal("1180.00"), Decimal("450"))
    assert (campaigns["tg_post"]["new"].value, campaigns["tg_post"]["roubles"]) == (1, 0)
    assert referrer == shop.rita and referrer_url == f"/admin/accounts/telegramuser/{shop.rita.pk}/change/"
    assert (invited["new"].value, invited["paying"], invited["stars"]) == (2, 2, Decimal("450"))
    assert {user.pk for user in listed} == {shop.ivan.pk, shop.olga.pk}
    assert {user.pk for user in invitees} == {shop.ivan.pk, shop.olga.pk}


def test_it_shows_the_growth_table_in_russian(client, support):
    make_shop()

    html = client.get("/admin/").content.decode()

    assert "Рост за последние 30 дней" in html and "Кто пригласил" in html and "vk_ads" in html


@pytest.mark.parametrize("permission", [None, "view_payment", "view_telegramuser"])
def test_it_shows_growth_only_to_staff_who_may_see_users_and_payments(client, permission):
    make_shop()
    staff = User.objects.create_user("nobody", "n@example.com", "pw", is_staff=True)
    if permission:
        staff.user_permissions.add(Permission.objects.get(codename=permission))
    client.force_login(staff)

    dashboard = client.get("/admin/").context["dashboard"]

    assert "campaigns" not in dashboard and "referrers" not in dashboard


def test_it_exports_the_ledger_by_kind_and_the_growth_figures(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "metrics-token-0123456789", []
    make_shop()

    samples = parse(scrape().content.decode())

    assert samples[("neurocards_ledger_credits", 'kind="referral_welcome"')] == 20
    assert samples[("neurocards_ledger_credits", 'kind="referral_reward"')] == 35
    assert samples[("neurocards_ledger_credits", 'kind="referral_reward_taken_back"')] == -20
    assert samples[("neurocards_ledger_credits", 'kind="promo"')] == 20
    assert samples[("neurocards_ledger_credits", 'kind="manual_revoke"')] == 0
    assert samples[("neurocards_users_arrived_by", 'link="invite"')] == 2
    assert samples[("neurocards_users_arrived_by", 'link="campaign"')] == 4
    assert samples[("neurocards_promo_redemptions", "")] == 1


def test_it_passes_check_ledger_with_every_new_kind(capsys):
    make_shop()

    call_command("check_ledger")

    assert "5 users, all balances match" in capsys.readouterr().out


def test_it_finds_a_referrers_tampered_balance(capsys):
    shop = make_shop()
    TelegramUser.objects.filter(pk=shop.rita.pk).update(balance=F("balance") + 20)

    with pytest.raises(CommandError, match="1 mismatched users"):
        call_command("check_ledger")

    # Rewards 10 + 5 + 20, 20 taken back: the ledger holds 15.
    assert f"telegram {shop.rita.telegram_id}): balance 35, ledger 15" in capsys.readouterr().err
