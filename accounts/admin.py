from django.contrib import admin

from accounts.models import TelegramUser


@admin.register(TelegramUser)
class TelegramUserAdmin(admin.ModelAdmin):
    list_display = ["telegram_id", "username", "full_name", "balance", "is_blocked", "last_activity_at", "created_at"]
    list_filter = ["is_blocked", "language_code"]
    search_fields = ["=telegram_id", "username", "first_name", "last_name"]
    # The balance moves only through the ledger; staff change it with the grant/revoke actions.
    readonly_fields = ["balance", "bot_blocked_at", "last_activity_at", "created_at", "updated_at"]
    fields = [
        "telegram_id", "username", "first_name", "last_name", "language_code", "balance", "is_blocked",
        "bot_blocked_at", "last_activity_at", "created_at", "updated_at",
    ]
