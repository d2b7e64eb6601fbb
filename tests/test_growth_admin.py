"""Growth in the admin: the user's page says who invited them, by which campaign they came, whom they invited
(and whether those paid), the rewards and the promo codes; the users list filters by campaign and invite; the
promo redemptions list is read-only and searchable by Telegram ID."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import PromoRedemption
from tests.factories import make_user
from tests.growth import make_shop, paid, rewarded

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"
REDEMPTIONS = "/admin/billing/promoredemption/"


def change_url(user):
    return f"{USERS}{user.pk}/change/"


def listed(client, query):
    return {user.pk for user in client.get(f"{USERS}?{query}").context["cl"].result_list}


def test_it_shows_who_invited_a_user_and_by_which_campaign(client, support):
    shop = make_shop()

    html = client.get(change_url(shop.ivan)).content.decode()

    assert "Пригласил" in html and "Кампания" in html
    assert f'href="{change_url(shop.rita)}"' in html and "vk_ads" in html


def test_it_shows_whom_a_user_invited_whether_they_paid_and_the_rewards(client, support):
    shop = make_shop()
    shop.rita.referral_code = "RITA42"
    shop.rita.save(update_fields=["referral_code"])
    unpaid = make_user(referred_by=shop.rita)

    page = client.get(change_url(shop.rita))
    html = page.content.decode()
    invitees = next(formset for formset in page.context["inline_admin_formsets"] if formset.opts.fk_name)
    rewards = next(f for f in page.context["inline_admin_formsets"] if f.formset.prefix.startswith("transactions-"))

    assert "RITA42" in html and "Код приглашения" in html
    assert "приглашено: 3, из них заплатили: 2; начислено за приглашения, кредитов: 15" in html
    assert f"{USERS}?referred_by__id__exact={shop.rita.pk}" in html
    assert {form.instance.pk: form.instance.has_paid for form in invitees.formset.forms} == {
        shop.ivan.pk: True,
        shop.olga.pk: True,
        unpaid.pk: False,
    }
    assert sorted(form.instance.amount for form in rewards.formset.forms) == [-20, 5, 10, 20]
    assert f'href="{change_url(shop.ivan)}"' in html


def test_it_shows_the_promo_codes_a_user_redeemed(client, support):
    shop = make_shop()

    html = client.get(change_url(shop.petr)).content.decode()

    assert "Активированные промокоды" in html and "SPRING" in html


def test_it_shows_a_user_page_in_the_same_number_of_queries_whatever_they_invited(client, support):
    shop = make_shop()
    client.get(change_url(shop.rita))
    with CaptureQueriesContext(connection) as few:
        client.get(change_url(shop.rita))

    for _ in range(15):
        invitee = make_user(referred_by=shop.rita, campaign="vk_ads")
        rewarded(shop.rita, paid(invitee, amount="890.00", credits=100), 1)
    with CaptureQueriesContext(connection) as many:
        client.get(change_url(shop.rita))

    assert len(many) == len(few)


def test_it_filters_the_users_by_campaign_and_by_invite(client, support):
    shop = make_shop()
    nobody = make_user()

    assert listed(client, "campaign__exact=vk_ads") == {shop.ivan.pk, shop.olga.pk, shop.old.pk}
    assert listed(client, "campaign__exact=") == {shop.rita.pk, nobody.pk}
    assert listed(client, "invited=yes") == {shop.ivan.pk, shop.olga.pk}
    assert shop.rita.pk in listed(client, "invited=no") and shop.ivan.pk not in listed(client, "invited=no")
    assert listed(client, f"referred_by__id__exact={shop.rita.pk}") == {shop.ivan.pk, shop.olga.pk}


def test_it_names_the_filters_in_russian(client, support):
    make_shop()

    html = client.get(USERS).content.decode()

    assert "без кампании" in html and "tg_post" in html and "по приглашению" in html and "без приглашения" in html


def test_it_lists_promo_redemptions_read_only_and_finds_them_by_telegram_id(client, support):
    shop = make_shop()
    other = make_user()
    promo = PromoRedemption.objects.get().promo
    PromoRedemption.objects.create(promo=promo, user=other, credits=20)

    found = client.get(f"{REDEMPTIONS}?q={shop.petr.telegram_id}").context["cl"].result_list
    by_code = client.get(f"{REDEMPTIONS}?promo__id__exact={promo.pk}").context["cl"].result_list
    page = client.get(f"{REDEMPTIONS}{PromoRedemption.objects.get(user=shop.petr).pk}/change/")

    assert [redemption.user for redemption in found] == [shop.petr]
    assert len(by_code) == 2
    assert client.get(f"{REDEMPTIONS}add/").status_code == 403
    assert page.status_code == 200 and 'name="credits"' not in page.content.decode()


def test_it_finds_a_user_by_their_invite_code(client, support):
    shop = make_shop()
    shop.rita.referral_code = "RITA42"
    shop.rita.save(update_fields=["referral_code"])

    assert listed(client, "q=RITA42") == {shop.rita.pk}
