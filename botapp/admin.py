from django.contrib import admin

from botapp.models import Broadcast, FlowState, ProcessedUpdate


@admin.register(ProcessedUpdate)
class ProcessedUpdateAdmin(admin.ModelAdmin):
    list_display = ["update_id", "received_at"]
    search_fields = ["=update_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FlowState)
class FlowStateAdmin(admin.ModelAdmin):
    list_display = ["user", "step", "updated_at"]
    search_fields = ["=user__telegram_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    """Broadcasts are sent by `manage.py broadcast`; here they are only read."""

    list_display = ["created_at", "sent", "failed", "skipped", "last_user_id", "finished_at"]
    readonly_fields = [field.name for field in Broadcast._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
