import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from billing.models import CreditTransaction
from tests.factories import make_user


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.mark.django_db
def test_it_shows_the_ledger_but_refuses_to_add_change_or_delete_rows(admin_client):
    user = make_user(credits=10)
    entry = CreditTransaction.objects.get(user=user)

    assert admin_client.get(reverse("admin:billing_credittransaction_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:billing_credittransaction_add")).status_code == 403
    assert admin_client.get(reverse("admin:billing_credittransaction_delete", args=[entry.pk])).status_code == 403
    change = reverse("admin:billing_credittransaction_change", args=[entry.pk])
    assert admin_client.post(change, {"amount": 1000, "balance_after": 1000}).status_code == 403
    entry.refresh_from_db()
    assert entry.amount == 10


@pytest.mark.django_db
def test_it_never_lets_the_admin_edit_a_balance(admin_client):
    user = make_user(credits=10)
    change = reverse("admin:accounts_telegramuser_change", args=[user.pk])

    page = admin_client.get(change)
    admin_client.post(change, {"telegram_id": user.telegram_id, "balance": 5000, "language_code": "ru"})

    assert page.status_code == 200 and 'name="balance"' not in page.content.decode()
    user.refresh_from_db()
    assert user.balance == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "accounts/telegramuser",
        "billing/creditpack",
        "billing/payment",
        "billing/webhookevent",
        "billing/promocode",
        "generations/generation",
        "botapp/processedupdate",
        "botapp/flowstate",
    ],
)
def test_it_lists_every_model_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/{model}/").status_code == 200
