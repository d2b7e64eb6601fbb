"""The action form's `_next` (where the page returns to) is rendered into a link and a hidden field: only a page
of this site may get there."""

import pytest

from billing import ledger
from generations.models import Generation
from tests.factories import make_generations, make_user
from tests.staff import make_support

pytestmark = pytest.mark.django_db
GENERATIONS = "/admin/generations/generation/"


@pytest.fixture
def failed(client):
    client.force_login(make_support())
    (generation,) = make_generations(make_user(credits=10), cost=10)
    # Charged: a refund is offered only for what was paid for and not refunded yet.
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.FAILED)
    return generation


def form_page(client, generation, next_url):
    return client.post(
        GENERATIONS, {"action": "refund_generations", "_selected_action": [str(generation.pk)], "_next": next_url}
    )


@pytest.mark.parametrize(
    "next_url",
    [
        "javascript:alert(document.cookie)",
        "https://evil.example.com/admin/",
        "//evil.example.com/",
        " javascript:alert(1)",
    ],
)
def test_it_never_renders_a_foreign_or_script_next(client, failed, next_url):
    page = form_page(client, failed, next_url)

    html = page.content.decode()
    assert page.status_code == 200 and 'id="action-form"' in html
    assert "javascript:" not in html and "evil.example.com" not in html
    assert 'name="_next"' not in html
    assert f'href="{GENERATIONS}" class="closelink"' in html


def test_it_keeps_a_next_on_this_site(client, failed):
    change_page = f"{GENERATIONS}{failed.pk}/change/"

    html = form_page(client, failed, change_page).content.decode()

    assert f'name="_next" value="{change_page}"' in html
    assert f'href="{change_page}" class="closelink"' in html
