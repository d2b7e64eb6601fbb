from django.contrib import admin

from generations.models import Generation


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "template", "status", "provider", "attempts", "error_class", "cost", "created_at"]
    list_filter = ["status", "kind", "provider", "error_class", "created_at"]
    search_fields = ["=user__telegram_id", "=provider_task_id", "=order_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    # State and money change through generations.services and billing.ledger, not by editing rows.
    readonly_fields = [field.name for field in Generation._meta.fields]

    def has_add_permission(self, request):
        return False
