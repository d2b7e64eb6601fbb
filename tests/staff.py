"""Admin users for tests, and an admin action submitted the way a browser does it."""

import io

from django.contrib.auth.models import Group, User
from django.core.management import call_command


def make_support(username="support"):
    """A staff member in the Support group, as `manage.py setup_roles` makes it."""
    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    return user


def act(client, url, action, objects, **fields):
    """Choose `action` for `objects` on the changelist at `url`, then fill and submit its form.

    Returns (form page, response to the submit); the form's one-time key goes back as the page sent it.
    """
    chosen = {"action": action, "_selected_action": [str(obj.pk) for obj in objects]}
    page = client.post(url, chosen)
    if page.status_code != 200 or "form" not in (page.context or {}):
        return page, None
    form = page.context["form"]
    hidden = {field.name: field.value() for field in form.hidden_fields()}
    return page, client.post(url, {**chosen, **hidden, **fields, "apply": "1"}, follow=True)


def resubmit(client, url, action, objects, page, **fields):
    """Submit the same form page again (a double click, a browser's resend)."""
    hidden = {field.name: field.value() for field in page.context["form"].hidden_fields()}
    chosen = {"action": action, "_selected_action": [str(obj.pk) for obj in objects]}
    return client.post(url, {**chosen, **hidden, **fields, "apply": "1"}, follow=True)


def said(response):
    """The admin's messages shown on a page."""
    return [str(message) for message in response.context["messages"]]
