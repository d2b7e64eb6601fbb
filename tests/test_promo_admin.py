"""Promo codes in the admin: created as the bot compares them, listed with their state, redemptions read-only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import promo
from billing.models import PromoCode
from billing.promo_admin import PromoCodeAdmin
from tests.factories import make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db

ADD = "/admin/billing/promocode/add/"
LIST = "/admin/billing/promocode/"


def form(**fields):
    return {
        "code": "SPRING",
        "credits": "20",
        "max_redemptions": "",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "is_active": "on",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
        **fields,
    }


def test_it_stores_a_code_typed_in_lower_case_with_spaces_in_capitals(admin_client):
    response = admin_client.post(ADD, form(code=" spring 26 ", max_redemptions="100", new_users_only="on"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = PromoCode.objects.get()
    assert (saved.code, saved.credits, saved.max_redemptions, saved.new_users_only) == ("SPRING26", 20, 100, True)
    assert promo.redeem(user=make_user(), typed_code="Spring26", now=timezone.now()).credited


def test_it_refuses_a_code_that_could_never_be_typed_and_a_window_that_ends_before_it_starts(admin_client):
    response = admin_client.post(
        ADD,
        form(
            code="SPR!NG",
            valid_from_0="2026-12-10",
            valid_from_1="10:00:00",
            valid_until_0="2026-12-01",
            valid_until_1="10:00:00",
        ),
    )

    errors = response.context["adminform"].form.errors
    assert errors["code"] == ["Только буквы, цифры, «-» и «_», не больше 32 символов."]
    assert errors["valid_until"] == ["Должно быть позже, чем «действует с»."]
    assert not PromoCode.objects.exists()


def test_it_lists_the_redeemed_count_of_the_total_and_the_state(admin_client):
    PromoCode.objects.create(code="FULL", credits=5, max_redemptions=1)
    PromoCode.objects.create(code="OLD", credits=5, valid_until=timezone.now() - timedelta(days=1))
    PromoCode.objects.create(code="OPEN", credits=5)
    promo.redeem(user=make_user(), typed_code="FULL", now=timezone.now())

    page = admin_client.get(LIST).content.decode()

    assert "1 / 1" in page and "закончился" in page
    assert "истёк" in page
    assert "0 / ∞" in page and "действует" in page
    assert "OPEN" in admin_client.get(LIST, {"q": "open"}).content.decode()


def test_it_shows_the_redemptions_on_the_code_page_read_only(admin_client):
    spring = PromoCode.objects.create(code="SPRING", credits=20)
    user = make_user(username="anna_seller")
    promo.redeem(user=user, typed_code="SPRING", now=timezone.now())

    page = admin_client.get(f"{LIST}{spring.pk}/change/")

    inline = page.context["inline_admin_formsets"][0]
    assert inline.formset.queryset.get().user == user
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission
    assert "redemptions-0-credits" not in page.content.decode()  # shown, not an input


def test_it_keeps_the_redeemed_count_out_of_the_form(admin_client):
    spring = PromoCode.objects.create(code="SPRING", credits=20)
    promo.redeem(user=make_user(), typed_code="SPRING", now=timezone.now())

    admin_client.post(
        f"{LIST}{spring.pk}/change/",
        form(credits="30", redeemed="0", **{"redemptions-INITIAL_FORMS": "1", "redemptions-TOTAL_FORMS": "1"}),
    )

    spring.refresh_from_db()
    assert (spring.credits, spring.redeemed) == (30, 1)


def test_it_never_writes_the_redeemed_count_over_a_redemption_counted_meanwhile(admin_client, monkeypatch):
    spring = PromoCode.objects.create(code="SPRING", credits=20)
    counted = PromoCodeAdmin.save_model

    def redeemed_while_saving(self, request, obj, form, change):
        promo.redeem(user=make_user(), typed_code="SPRING", now=timezone.now())
        counted(self, request, obj, form, change)

    monkeypatch.setattr(PromoCodeAdmin, "save_model", redeemed_while_saving)

    admin_client.post(f"{LIST}{spring.pk}/change/", form(credits="30"))

    spring.refresh_from_db()
    assert (spring.credits, spring.redeemed) == (30, 1)


def test_it_refuses_a_total_below_the_redemptions_made(admin_client):
    spring = PromoCode.objects.create(code="SPRING", credits=20, max_redemptions=5)
    for _ in range(2):
        promo.redeem(user=make_user(), typed_code="SPRING", now=timezone.now())

    response = admin_client.post(
        f"{LIST}{spring.pk}/change/",
        form(max_redemptions="1", **{"redemptions-INITIAL_FORMS": "2", "redemptions-TOTAL_FORMS": "2"}),
    )

    assert response.context["adminform"].form.errors["max_redemptions"] == [
        "Его уже использовали 2 раза: не меньше этого."
    ]
    spring.refresh_from_db()
    assert spring.max_redemptions == 5


def test_it_lets_support_view_codes_but_not_create_or_change_them(client):
    spring = PromoCode.objects.create(code="SPRING", credits=20)
    client.force_login(make_support())

    assert client.get(LIST).status_code == 200
    assert client.get(f"{LIST}{spring.pk}/change/").status_code == 200
    assert client.get(ADD).status_code == 403
    client.post(f"{LIST}{spring.pk}/change/", form(credits="5000"))
    spring.refresh_from_db()
    assert spring.credits == 20
