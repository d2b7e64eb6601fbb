"""The admin's second factor: staff who can move credits pass a TOTP code once per session (ADMIN_REQUIRE_OTP)."""

import time

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Permission, User
from django.core import checks
from django.test import AsyncClient
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ops.second_factor import MONEY_PERMISSIONS
from tests.factories import make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"


@pytest.fixture(autouse=True)
def required(settings):
    settings.ADMIN_REQUIRE_OTP = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # a wrong code locks the next try for ten minutes: no timing here


def code(device, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def enrolled(user):
    return TOTPDevice.objects.create(user=user, name="admin", confirmed=True)


def test_it_sends_a_money_member_without_a_device_to_enrol(client):
    client.force_login(make_support())

    page = client.get(USERS)

    assert page.status_code == 302 and page["Location"].startswith("/admin/code/new/?next=")
    enrol = client.get(page["Location"])
    html = enrol.content.decode()
    assert enrol.status_code == 200 and "<svg" in html and "<script" not in html.split("<body")[1].split("</body>")[0]
    device = TOTPDevice.objects.get(user__username="support")
    assert not device.confirmed and enrol.context["secret"] in html
    assert "Content-Security-Policy" in enrol.headers


def test_it_confirms_the_device_with_its_first_code_and_lets_the_member_in(client):
    client.force_login(make_support())
    client.get("/admin/code/new/")
    device = TOTPDevice.objects.get(user__username="support")

    done = client.post("/admin/code/new/", {"code": code(device), "next": USERS})

    assert done.status_code == 302 and done["Location"] == USERS
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(USERS).status_code == 200


def test_it_refuses_a_wrong_code_at_enrolment(client):
    client.force_login(make_support())
    client.get("/admin/code/new/")
    device = TOTPDevice.objects.get(user__username="support")

    page = client.post("/admin/code/new/", {"code": code(device, offset=-600)})

    assert page.status_code == 200 and page.context["form"].errors
    device.refresh_from_db()
    assert not device.confirmed


def test_it_asks_an_enrolled_member_for_the_code_after_the_password(client):
    support = make_support()
    device = enrolled(support)
    client.post("/admin/login/", {"username": "support", "password": "pw"})

    page = client.get("/admin/", follow=True)

    assert page.redirect_chain[-1][0].startswith("/admin/code/?next=")
    assert "Код подтверждения" in page.content.decode()
    done = client.post("/admin/code/", {"code": code(device), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_it_refuses_a_wrong_code_and_then_makes_the_member_wait(client):
    support = make_support()
    device = enrolled(support)
    client.force_login(support)

    wrong = client.post("/admin/code/", {"code": code(device, offset=-600)})
    right_too_soon = client.post("/admin/code/", {"code": code(device)})

    assert wrong.status_code == 200 and "Неверный код" in wrong.content.decode()
    assert right_too_soon.status_code == 200 and "Слишком много неверных кодов" in right_too_soon.content.decode()
    assert client.get(USERS).status_code == 302


def test_it_refuses_an_action_of_an_unverified_session(client):
    support = make_support()
    enrolled(support)
    seller = make_user()
    client.force_login(support)

    refused = client.post(USERS, {"action": "grant_credits", "_selected_action": [seller.pk]})

    assert refused.status_code == 403
    seller.refresh_from_db()
    assert seller.balance == 0


def test_it_does_not_let_an_unverified_session_enrol_a_second_device(client):
    support = make_support()
    enrolled(support)
    client.force_login(support)

    page = client.get("/admin/code/new/")

    assert page.status_code == 302 and page["Location"].startswith("/admin/code/?")
    assert TOTPDevice.objects.filter(user=support).count() == 1


def test_it_does_not_ask_staff_who_cannot_move_credits(client):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_telegramuser"))
    client.force_login(viewer)

    assert client.get(USERS).status_code == 200


@pytest.mark.parametrize("name", ["accounts.revoke_credits", "generations.refund_generation"])
def test_it_asks_anyone_holding_one_money_permission(client, name):
    app_label, codename = name.split(".")
    member = User.objects.create_user("one", password="pw", is_staff=True)
    member.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client.force_login(member)

    assert client.get("/admin/")["Location"].startswith("/admin/code/new/")


def test_it_lists_the_credit_moving_permissions_in_one_place():
    assert {"accounts.grant_credits", "billing.refund_stars", "billing.credit_payment"} <= set(MONEY_PERMISSIONS)


def test_it_asks_nothing_when_switched_off(client, settings):
    settings.ADMIN_REQUIRE_OTP = False
    client.force_login(make_support())

    assert client.get(USERS).status_code == 200


def test_it_warns_when_switched_off_in_production(settings):
    settings.ADMIN_REQUIRE_OTP = False
    settings.DEBUG = False

    assert "neurocards.W108" in {problem.id for problem in checks.run_checks()}
    settings.ADMIN_REQUIRE_OTP = True
    assert "neurocards.W108" not in {problem.id for problem in checks.run_checks()}


def test_it_lets_a_superuser_delete_a_lost_phone_s_device_so_the_member_enrols_again(client):
    boss = User.objects.create_superuser("boss", "boss@example.com", "pw")
    boss_device = enrolled(boss)
    lost = enrolled(make_support())
    client.force_login(boss)
    client.post("/admin/code/", {"code": code(boss_device)})

    index = client.get("/admin/").content.decode()
    deleted = client.post(f"/admin/otp_totp/totpdevice/{lost.pk}/delete/", {"post": "yes"})

    assert "Второй фактор" in index
    assert deleted.status_code == 302 and not TOTPDevice.objects.filter(pk=lost.pk).exists()
    client.force_login(User.objects.get(username="support"))
    assert client.get(USERS)["Location"].startswith("/admin/code/new/")


@pytest.mark.django_db(transaction=True)
def test_it_asks_for_the_code_through_the_asgi_app_too():
    support = make_support()
    enrolled(support)

    @async_to_sync
    async def get(path):
        client = AsyncClient()
        await client.aforce_login(support)
        return await client.get(path)

    page = get(USERS)

    assert page.status_code == 302 and page["Location"].startswith("/admin/code/?next=")


def test_it_makes_no_device_for_staff_who_need_none(client):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)

    page = client.get("/admin/code/new/")

    assert page.status_code == 302 and page["Location"] == "/admin/"
    assert not TOTPDevice.objects.filter(user=viewer).exists()
