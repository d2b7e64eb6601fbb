from django.contrib import admin

from billing.models import CreditPack, CreditTransaction, Payment, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    """The ledger is append-only: rows are written by billing.ledger, never edited here."""

    list_display = ["created_at", "user", "amount", "kind", "balance_after", "generation", "payment", "actor", "reason"]
    list_filter = ["kind", "created_at"]
    search_fields = ["=user__telegram_id", "user__username", "idempotency_key", "reason"]
    list_select_related = ["user", "actor"]
    raw_id_fields = ["user", "generation", "payment", "actor"]


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "credits", "price_rub", "price_stars", "is_active", "position"]
    list_editable = ["is_active", "position"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "method", "status", "amount", "currency", "credits", "created_at", "paid_at"]
    list_filter = ["method", "status", "created_at"]
    search_fields = ["=id", "=provider_payment_id", "=user__telegram_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "pack"]
    readonly_fields = [field.name for field in Payment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "status", "processed_at"]
    list_filter = ["provider", "status", "received_at"]
    search_fields = ["=event_id"]
