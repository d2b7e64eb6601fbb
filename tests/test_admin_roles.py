import io
import uuid

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from accounts.models import TelegramUser
from billing.models import CreditTransaction, PromoCode, Refund, WebhookEvent
from generations.models import Generation
from tests.factories import make_generations, make_payment, make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    user = make_user(credits=10)
    (generation,) = make_generations(user)
    payment = make_payment(user)
    refund = Refund.objects.create(provider_refund_id="r-1", payment=payment, amount="890.00")
    event = WebhookEvent.objects.create(provider="yookassa", event_id="e-1", payload="{}")
    entry = CreditTransaction.objects.get(user=user)
    code = PromoCode.objects.create(code="SPRING", credits=5)
    return {
        "accounts/telegramuser": user,
        "generations/generation": generation,
        "billing/payment": payment,
        "billing/refund": refund,
        "billing/webhookevent": event,
        "billing/credittransaction": entry,
        "billing/promocode": code,
    }


def actions_offered(client, url):
    form = client.get(url).context["action_form"]  # None when no action is offered at all
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_it_creates_the_support_group_once_and_resets_it_to_the_rule():
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    group = Group.objects.get(name="Support")
    group.permissions.add(Permission.objects.get(codename="delete_telegramuser"))

    call_command("setup_roles", stdout=out)
    call_command("setup_roles", stdout=out)

    first, second, third = out.getvalue().splitlines()
    assert first == "Support: created, 21 permissions (21 added, 0 removed)"
    assert second == "Support: exists, 21 permissions (0 added, 1 removed)"
    assert third == "Support: exists, 21 permissions (0 added, 0 removed)"
    assert Group.objects.filter(name="Support").count() == 1
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert not {c for c in codenames if c.startswith(("add_", "change_", "delete_"))}


def test_it_lets_support_view_everything_it_needs(client, rows):
    client.force_login(make_support())

    for model, row in rows.items():
        assert client.get(f"/admin/{model}/").status_code == 200, model
        assert client.get(f"/admin/{model}/{row.pk}/change/").status_code == 200, model


def test_it_offers_support_the_support_actions_only(client, rows):
    client.force_login(make_support())

    assert actions_offered(client, "/admin/accounts/telegramuser/") == {
        "grant_credits",
        "revoke_credits",
        "block_users",
        "unblock_users",
        "send_message",
    }
    assert actions_offered(client, "/admin/generations/generation/") == {
        "refund_generations",
        "cancel_generations",
        "retry_generations",
        "resend_results",
    }
    # Giving Stars back is money leaving the business: a superuser's call, not in the Support role.
    assert actions_offered(client, "/admin/billing/payment/") == {
        "recheck_with_yookassa",
        "credit_payments",
        "resolve_payments",
    }


def test_it_lets_support_run_an_action(client, rows):
    client.force_login(make_support())
    user = rows["accounts/telegramuser"]

    page = client.post("/admin/accounts/telegramuser/", {"action": "grant_credits", "_selected_action": [user.pk]})
    client.post(
        "/admin/accounts/telegramuser/",
        {
            "action": "grant_credits",
            "_selected_action": [user.pk],
            "apply": "1",
            "key": page.context["form"]["key"].value(),
            "amount": "5",
            "reason": "goodwill",
        },
    )

    assert TelegramUser.objects.get(pk=user.pk).balance == 15


def test_it_refuses_support_deletes_additions_and_edits(client, rows):
    client.force_login(make_support())
    user, entry = rows["accounts/telegramuser"], rows["billing/credittransaction"]

    for model, row in rows.items():
        assert client.get(f"/admin/{model}/{row.pk}/delete/").status_code == 403, model
        assert client.post(f"/admin/{model}/{row.pk}/delete/", {"post": "yes"}).status_code == 403, model
        assert client.get(f"/admin/{model}/add/").status_code == 403, model
    ledger_change = f"/admin/billing/credittransaction/{entry.pk}/change/"
    assert client.post(ledger_change, {"amount": 1000, "balance_after": 1000}).status_code == 403
    user_change = f"/admin/accounts/telegramuser/{user.pk}/change/"
    assert client.post(user_change, {"telegram_id": user.telegram_id, "balance": 5000}).status_code == 403
    assert "delete_selected" not in actions_offered(client, "/admin/accounts/telegramuser/")
    entry.refresh_from_db()
    assert entry.amount == 10 and TelegramUser.objects.get(pk=user.pk).balance == 10
    assert Generation.objects.filter(pk=rows["generations/generation"].pk).exists()


def test_it_refuses_the_actions_to_staff_outside_the_group(client, rows):
    make_support()
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_telegramuser", "view_generation"]))
    client.force_login(viewer)
    user, generation = rows["accounts/telegramuser"], rows["generations/generation"]

    assert client.get("/admin/accounts/telegramuser/").status_code == 200
    assert actions_offered(client, "/admin/accounts/telegramuser/") == set()
    form = {
        "action": "grant_credits",
        "_selected_action": [user.pk],
        "apply": "1",
        "key": str(uuid.uuid4()),
        "amount": "500",
        "reason": "myself",
    }
    client.post("/admin/accounts/telegramuser/", form)
    cancel = {"action": "cancel_generations", "_selected_action": [generation.pk], "apply": "1", "reason": "x"}
    client.post("/admin/generations/generation/", cancel)

    assert TelegramUser.objects.get(pk=user.pk).balance == 10
    assert Generation.objects.get(pk=generation.pk).status == Generation.Status.QUEUED
    assert not CreditTransaction.objects.filter(actor=viewer).exists()
