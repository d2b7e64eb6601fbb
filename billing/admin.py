from decimal import Decimal

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q

from billing import settlement, stars, yookassa
from billing.models import CreditPack, CreditTransaction, Payment, Refund, WebhookEvent
from messaging import sender
from neurocards.lib.admin_actions import ReasonForm, asks, permission


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
    list_select_related = ["user", "actor", "generation", "payment"]
    raw_id_fields = ["user", "generation", "payment", "actor"]


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "credits", "price_rub", "price_stars", "is_active", "position"]
    list_editable = ["is_active", "position"]


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ["provider_refund_id", "amount", "credits_debited", "shortfall", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "method", "status", "amount", "currency", "credits", "problem_short", "created_at"]
    list_filter = ["method", "status", "created_at"]
    search_fields = ["=id", "=provider_payment_id", "=user__telegram_id", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "pack"]
    readonly_fields = [field.name for field in Payment._meta.fields]
    inlines = [RefundInline]
    actions = ["recheck_with_yookassa", "refund_stars"]

    has_recheck_payment_permission = permission("billing.recheck_payment")
    has_refund_stars_permission = permission("billing.refund_stars")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="problem")
    def problem_short(self, payment):
        return payment.problem[:60]

    @admin.action(description="Re-check with YooKassa (credits a paid payment once)", permissions=["recheck_payment"])
    def recheck_with_yookassa(self, request, queryset):
        for payment in queryset.filter(method=Payment.Method.YOOKASSA).exclude(provider_payment_id=None):
            try:
                answer = yookassa.fetch_payment(payment.provider_payment_id)
            except (yookassa.ResultUnknown, yookassa.Refused) as error:
                outcome = f"YooKassa not reached: {error}"
            else:
                # Asked before the transaction: no transaction is held open across the call.
                with transaction.atomic():
                    outcome = settlement.settle(payment=payment, answer=answer)
            self.message_user(request, f"{payment.pk}: {outcome}")
            self.log_change(request, payment, f"re-checked with YooKassa: {outcome}")

    @admin.action(description="Refund Stars (and take the unspent credits back)", permissions=["refund_stars"])
    @asks(
        ReasonForm,
        title="Refund Stars",
        submit="Refund",
        # A payment refused as not matching its invoice is canceled, yet the buyer paid: it is refundable too.
        eligible=lambda queryset: (
            queryset.filter(method=Payment.Method.STARS)
            .filter(
                Q(status=Payment.Status.SUCCEEDED) | Q(status=Payment.Status.CANCELED, cancellation_reason="mismatch")
            )
            .exclude(provider_payment_id=None)
        ),
        none_eligible="None of the selected payments is a paid Stars payment not yet refunded.",
        intro="These Stars payments will be refunded to the buyers by Telegram, and their unspent credits "
        "taken back through the ledger:",
    )
    def refund_stars(self, request, payments, data):
        for payment in payments:
            self._refund_stars(request, payment, data["reason"])

    def _refund_stars(self, request, payment, reason):
        paid = Decimal(str((payment.raw or {}).get("total_amount", payment.amount)))  # what Telegram took
        try:
            refund = stars.refund(payment, amount=paid, reason=f"Stars refund by {request.user}: {reason}")
        except sender.SendFailed as error:
            self.message_user(request, f"{payment.pk}: Telegram refused the refund: {error}", messages.ERROR)
            return
        note = (
            f"refunded {paid:.0f} Stars; {refund.credits_debited} credits taken back, {refund.shortfall} already spent"
            if refund
            else "already refunded"
        )
        self.message_user(request, f"{payment.pk}: {note}")
        self.log_change(request, payment, f"Stars refund: {note}. Reason: {reason}")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "status", "error", "processed_at"]
    list_filter = ["provider", "status", "received_at"]
    search_fields = ["=event_id"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "provider_refund_id", "payment", "amount", "credits_debited", "shortfall"]
    search_fields = ["=provider_refund_id", "=payment__id", "=payment__user__telegram_id"]
    raw_id_fields = ["payment"]
