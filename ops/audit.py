"""The audit: every admin action (Django's LogEntry: who, when, what, and the change in words), read-only for
everyone. Support may read it (setup_roles gives admin.view_logentry); nobody adds, edits or deletes a row."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from neurocards.lib.admin_actions import ReadOnlyAdmin


@admin.register(LogEntry)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["action_time", "user", "action_flag", "object_link", "change"]
    list_filter = [
        ("user", admin.RelatedOnlyFieldListFilter),
        "action_time",
        "action_flag",
        ("content_type", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["object_repr", "object_id", "change_message", "user__username"]
    search_help_text = _("The object, its ID, the staff member's login or words of the change.")
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    fields = ["action_time", "user", "action_flag", "content_type", "object_link", "change"]
    readonly_fields = fields

    @admin.display(description=_("object"), ordering="object_repr")
    def object_link(self, entry):
        try:
            url = entry.get_admin_url()
        except NoReverseMatch:
            url = ""
        if not url or entry.is_deletion():
            return entry.object_repr
        return format_html('<a href="{}">{}</a>', url, entry.object_repr)

    @admin.display(description=_("change"))
    def change(self, entry):
        # Django keeps its own changes as JSON; get_change_message() says them in the staff's language.
        return entry.get_change_message()
