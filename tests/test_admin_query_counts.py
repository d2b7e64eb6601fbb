import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import ledger
from tests.factories import make_generations, make_payment, make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db
PAGES = [
    "/admin/accounts/telegramuser/",
    "/admin/generations/generation/",
    "/admin/billing/payment/",
    "/admin/billing/credittransaction/",
]


def add_customers(count, staff):
    """Users with what each list shows: a credited payment, a charged generation, a grant by staff."""
    for _ in range(count):
        user = make_user()
        ledger.credit_payment(payment=make_payment(user, credits=50))
        ledger.charge_generations(generations=make_generations(user))
        ledger.grant_credits(user=user, amount=5, actor=staff, reason="goodwill", key=uuid.uuid4().hex)


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", PAGES)
def test_it_lists_a_page_in_the_same_number_of_queries_whatever_its_length(client, url):
    staff = make_support()
    client.force_login(staff)
    add_customers(3, staff)
    queries(client, url)  # the session and content types, cached from here on
    few = queries(client, url)

    add_customers(27, staff)
    many = queries(client, url)

    assert many == few
