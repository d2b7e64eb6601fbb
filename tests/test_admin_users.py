from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import TelegramUser
from billing import ledger
from generations.models import Generation
from tests.factories import make_generations, make_payment, make_user
from tests.staff import act, said

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/telegramuser/"


def found(client, term):
    page = client.get(USERS, {"q": term})
    assert page.status_code == 200
    return {user.telegram_id for user in page.context["cl"].result_list}


def test_it_finds_a_user_by_exact_telegram_id_username_or_name(client, support):
    make_user(telegram_id=5550001, username="mug_seller", first_name="Anna", last_name="Petrova")
    make_user(telegram_id=55500011, username="other", first_name="Boris")

    assert found(client, "5550001") == {5550001}
    assert found(client, "@mug_seller") == {5550001}
    assert found(client, "mug_seller") == {5550001}
    assert found(client, "Petrova") == {5550001}
    assert found(client, "anna petrova") == {5550001}
    assert found(client, "@nobody") == set()


def test_it_lists_balance_active_generations_and_blocked(client, support):
    user = make_user(telegram_id=5550002, username="busy", credits=40)
    make_generations(user, count=2)
    Generation.objects.filter(pk=make_generations(user)[0].pk).update(status=Generation.Status.FAILED)
    make_user(telegram_id=5550003, is_blocked=True)

    page = client.get(USERS)

    rows = {user.telegram_id: user for user in page.context["cl"].result_list}
    assert (rows[5550002].balance, rows[5550002].active_generations) == (40, 2)
    assert (rows[5550003].active_generations, rows[5550003].is_blocked) == (0, True)
    header = page.content.decode().lower()
    for column in ("telegram id", "баланс", "активные генерации", "последняя активность", "заблокирован"):
        assert column in header


def test_it_shows_recent_generations_payments_and_ledger_read_only_with_links(client, support):
    user = make_user(telegram_id=5550004, credits=40)
    (generation,) = make_generations(user)
    ledger.charge_generations(generations=[generation])
    payment = make_payment(user)

    page = client.get(f"{USERS}{user.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f"/admin/generations/generation/{generation.pk}/change/" in html
    assert f"/admin/billing/payment/{payment.pk}/change/" in html
    assert "/admin/billing/credittransaction/" in html and "test set-up" in html
    assert 'name="balance"' not in html and "-TOTAL_FORMS" in html
    for formset in page.context["inline_admin_formsets"]:
        assert not formset.has_add_permission and not formset.has_change_permission
        assert not formset.has_delete_permission


def test_it_shows_only_the_recent_rows_of_a_long_history(client, support):
    user = make_user(credits=500)
    make_generations(user, count=25)

    page = client.get(f"{USERS}{user.pk}/change/")

    generations = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is Generation)
    assert len(list(generations)) == 20


def test_it_still_saves_a_user_with_read_only_history_shown(admin_client):
    user = make_user(credits=5, first_name="Old")
    make_generations(user)
    make_payment(user)
    change = f"{USERS}{user.pk}/change/"

    saved = admin_client.post(change, {**_submitted(admin_client.get(change)), "first_name": "New"})

    assert saved.status_code == 302
    assert TelegramUser.objects.get(pk=user.pk).first_name == "New"
    assert TelegramUser.objects.get(pk=user.pk).balance == 5


def _submitted(page):
    """What a browser submits from the change form: its inputs, selects and textareas, as rendered."""

    class Fields(HTMLParser):
        values, _select, _textarea = {}, None, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form":
                self.inside = attrs.get("id") == "telegramuser_form"
            if not getattr(self, "inside", False) or "name" not in attrs:
                return
            if tag == "input" and attrs.get("type") not in ("submit", "checkbox"):
                self.values[attrs["name"]] = attrs.get("value", "")
            elif tag == "select":
                self._select = attrs["name"]
            elif tag == "textarea":
                self._textarea = attrs["name"]
                self.values[attrs["name"]] = ""
            elif tag == "option" and self._select and "selected" in attrs:
                self.values[self._select] = attrs.get("value", "")

        def handle_data(self, data):
            if self._textarea:
                self.values[self._textarea] += data

        def handle_endtag(self, tag):
            if tag == "select":
                self._select = None
            elif tag == "textarea":
                self._textarea = None
            elif tag == "form":
                self.inside = False

    parser = Fields()
    parser.values = {}
    parser.feed(page.content.decode())
    return parser.values


def test_it_blocks_and_unblocks_with_a_reason(client, support):
    user = make_user()

    act(client, USERS, "block_users", [user], reason="chargebacks")
    blocked = TelegramUser.objects.get(pk=user.pk).is_blocked
    again, _ = act(client, USERS, "block_users", [user], reason="pressed twice")
    act(client, USERS, "unblock_users", [user], reason="sorted out")

    assert blocked and not TelegramUser.objects.get(pk=user.pk).is_blocked
    assert "Все выбранные пользователи уже заблокированы." in again.content.decode()
    assert [entry.get_change_message() for entry in LogEntry.objects.order_by("pk")] == [
        "Заблокирован. Причина: chargebacks",
        "Разблокирован. Причина: sorted out",
    ]


def test_it_sends_a_message_through_the_bot_escaped(client, support, workers):
    user = make_user(telegram_id=5550005)

    _, done = act(
        client, USERS, "send_message", [user], text="Your <refund> is done & dusted", reason="answering a ticket"
    )

    (call,) = workers.telegram.requests("sendMessage")
    assert call.params["chat_id"] == 5550005
    assert call.params["text"] == "Your &lt;refund&gt; is done &amp; dusted"
    assert any("сообщение отправлено" in text for text in said(done))
    assert LogEntry.objects.get().get_change_message().startswith("Отправлено сообщение: Your <refund>")


def test_it_says_when_telegram_refuses_a_message(client, support, workers):
    user = make_user(telegram_id=5550006)
    workers.telegram.block(5550006)

    _, done = act(client, USERS, "send_message", [user], text="Hello", reason="ticket")

    assert any("Telegram не принял сообщение" in text for text in said(done))
    assert not LogEntry.objects.exists()
