"""The audit: every admin action in a read-only list, with who, when, what and the change in words."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.utils import timezone

from tests.factories import make_user
from tests.staff import act, make_support

pytestmark = pytest.mark.django_db
URL = "/admin/admin/logentry/"


def logged(staff, obj, message, at=None):
    entry = LogEntry.objects.log_actions(user_id=staff.pk, queryset=[obj], action_flag=CHANGE, change_message=message)
    (entry,) = entry if isinstance(entry, list) else [entry]
    if at:
        LogEntry.objects.filter(pk=entry.pk).update(action_time=at)
    return entry


def test_it_lists_a_support_grant_with_who_what_and_why(client):
    support = make_support()
    seller = make_user()
    client.force_login(support)
    act(client, "/admin/accounts/telegramuser/", "grant_credits", [seller], amount=5, reason="goodwill")

    page = client.get(URL)

    html = page.content.decode()
    assert page.status_code == 200
    (entry,) = page.context["cl"].result_list
    assert entry.user == support and "goodwill" in entry.change_message
    assert f'href="/admin/accounts/telegramuser/{seller.pk}/change/"' in html
    assert "goodwill" in html and "Изменить" in html and "Объект" in html


def test_it_says_django_s_own_changes_in_words(client):
    admin = User.objects.create_superuser("boss", "boss@example.com", "pw")
    entry = logged(admin, make_user(), [{"changed": {"fields": ["Username"]}}])
    client.force_login(admin)

    html = client.get(URL).content.decode()

    assert "Изменено Имя пользователя." in html and "&quot;changed&quot;" not in html, entry.change_message


def test_it_filters_by_staff_member_and_date(client):
    support = make_support()
    other = make_support("other")
    seller = make_user()
    mine = logged(support, seller, "mine")
    logged(other, seller, "theirs")
    logged(support, seller, "old", at=timezone.now() - timedelta(days=40))
    client.force_login(support)

    by_user = client.get(URL, {"user__id__exact": support.pk}).context["cl"].result_list
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    this_month = client.get(URL, {"user__id__exact": support.pk, "action_time__gte": midnight.isoformat()})

    assert {e.change_message for e in by_user} == {"mine", "old"}
    assert list(this_month.context["cl"].result_list) == [mine]


def test_it_finds_an_entry_by_its_words(client):
    support = make_support()
    logged(support, make_user(), "refund for order 77")
    logged(support, make_user(), "something else")
    client.force_login(support)

    found = client.get(URL, {"q": "order 77"}).context["cl"].result_list

    assert [e.change_message for e in found] == ["refund for order 77"]


def test_it_lets_nobody_add_change_or_delete_an_entry(client):
    admin = User.objects.create_superuser("boss", "boss@example.com", "pw")
    entry = logged(admin, make_user(), "granted")
    client.force_login(admin)

    assert client.get(f"{URL}add/").status_code == 403
    assert client.get(f"{URL}{entry.pk}/delete/").status_code == 403
    page = client.get(f"{URL}{entry.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    client.post(f"{URL}{entry.pk}/change/", {"change_message": "edited"})
    client.post(URL, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    entry.refresh_from_db()
    assert entry.change_message == "granted"


def test_it_is_hidden_from_staff_without_the_view_permission(client):
    client.force_login(User.objects.create_user("intern", password="pw", is_staff=True))

    assert client.get(URL).status_code == 403
