from decimal import Decimal

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing import services, settlement, stars, yookassa
from billing.models import ABANDONED, CreditPack, CreditTransaction, Payment, Refund, WebhookEvent
from billing.promo_admin import PromoCodeAdmin  # noqa: F401  (registered there)
from messaging import sender
from neurocards.lib.admin_actions import ObjectActions, ReadOnlyAdmin, ReasonForm, asks, permission

Status = Payment.Status
# Open at YooKassa, or closed only by us (expired): YooKassa's answer may still change what it is.
RECHECKABLE = [*services.OPEN, Status.EXPIRED]


def recheckable(payments):
    return payments.filter(method=Payment.Method.YOOKASSA, status__in=RECHECKABLE).exclude(provider_payment_id=None)


def creditable(payments):
    """Not credited yet, and something could have been paid: a Stars invoice, or a payment YooKassa created (one
    it never created had no page to pay on)."""
    purchase = CreditTransaction.objects.filter(payment=OuterRef("pk"), kind=CreditTransaction.Kind.PURCHASE)
    return (
        payments.filter(status__in=RECHECKABLE)
        .filter(Q(method=Payment.Method.STARS) | ~Q(provider_payment_id=None))
        .exclude(Exists(purchase))
    )


def refundable_stars(payments):
    # A payment refused as not matching its invoice is canceled, yet the buyer paid: it is refundable too.
    return (
        payments.filter(method=Payment.Method.STARS)
        .filter(Q(status=Status.SUCCEEDED) | Q(status=Status.CANCELED, cancellation_reason="mismatch"))
        .exclude(provider_payment_id=None)
    )


def flagged(payments):
    return payments.flagged()


# What support reads for settlement's outcome words.
OUTCOMES = {
    "credited": _("credited"),
    "already credited": _("already credited before, nothing more added"),
    "pending": _("still pending: the buyer has not paid yet, nothing credited"),
    "canceled": _("canceled, nothing credited"),
    "already canceled": _("canceled, nothing credited"),
    "mismatch": _("does not match this payment: not credited, flagged"),
}


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


class FlaggedFilter(admin.SimpleListFilter):
    """The dashboard links to ?flagged=open."""

    title = _("Needs attention")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("open", _("needs attention")), ("resolved", _("resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.flagged()
        if self.value() == "resolved":
            return queryset.exclude(problem="").exclude(resolved_at=None)
        return queryset


class AbandonedFilter(admin.SimpleListFilter):
    """Invoices nobody paid before they expired: not a problem, only noise among the ones that are."""

    title = _("Abandoned invoices")
    parameter_name = "abandoned"

    def lookups(self, request, model_admin):
        return [("yes", _("abandoned invoices only")), ("no", _("without abandoned invoices"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.abandoned()
        if self.value() == "no":
            return queryset.exclude(ABANDONED)
        return queryset


@admin.register(Payment)
class PaymentAdmin(ObjectActions):
    list_display = ["id", "user", "method", "status", "amount", "currency", "credits", "problem_short", "created_at"]
    list_filter = [FlaggedFilter, AbandonedFilter, "method", "status", "created_at"]
    search_fields = ["=id", "=provider_payment_id", "=user__telegram_id", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "pack"]
    readonly_fields = [field.name for field in Payment._meta.fields]
    inlines = [RefundInline]
    actions = ["recheck_with_yookassa", "credit_payments", "resolve_payments", "refund_stars"]
    object_actions = actions
    # Each action's own narrowing, also used to show a change page only the buttons that apply.
    eligible = {
        "recheck_with_yookassa": recheckable,
        "credit_payments": creditable,
        "resolve_payments": flagged,
        "refund_stars": refundable_stars,
    }

    has_recheck_payment_permission = permission("billing.recheck_payment")
    has_refund_stars_permission = permission("billing.refund_stars")
    has_credit_payment_permission = permission("billing.credit_payment")
    has_resolve_payment_permission = permission("billing.resolve_payment")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def action_applies(self, name, obj):
        return self.eligible[name](Payment.objects.filter(pk=obj.pk)).exists()

    @admin.display(description=_("problem"))
    def problem_short(self, payment):
        return payment.problem[:60]

    @admin.action(description=_("Re-check with YooKassa"), permissions=["recheck_payment"])
    def recheck_with_yookassa(self, request, queryset):
        for payment in recheckable(queryset):
            self._ask_yookassa(request, payment, gettext("re-checked with YooKassa"))
        return _back(request)

    @admin.action(description=_("Credit this payment"), permissions=["credit_payment"])
    @asks(
        ReasonForm,
        title=_("Credit this payment"),
        submit=_("Credit"),
        eligible=creditable,
        none_eligible=_(
            "None of the selected payments can be credited: only a pending or expired one not credited yet "
            "(a YooKassa one must have been created at YooKassa)."
        ),
        intro=_(
            "The payment's credits are added through the ledger once, as the payment notification would add them: "
            "a late notification adds nothing more. A YooKassa payment is credited only if YooKassa says it is paid; "
            "a Stars payment on your word. The buyer is told once."
        ),
    )
    def credit_payments(self, request, payments, data):
        for payment in payments:
            if payment.method == Payment.Method.YOOKASSA:
                self._ask_yookassa(
                    request, payment, gettext("credit by support"), actor=request.user, reason=data["reason"]
                )
                continue
            with transaction.atomic():
                outcome = settlement.credit_by_staff(payment=payment, actor=request.user, reason=data["reason"])
            message = gettext("Payment %(id)s: %(result)s.") % {"id": payment.pk, "result": _result(outcome, payment)}
            self.message_user(request, message, messages.SUCCESS if outcome == "credited" else messages.WARNING)
            self.log_change(request, payment, f"{gettext('credit by support')}: {message} {data['reason']}")

    @admin.action(description=_("Resolved"), permissions=["resolve_payment"])
    @asks(
        ReasonForm,
        title=_("Mark resolved"),
        submit=_("Resolved"),
        eligible=flagged,
        none_eligible=_("None of the selected payments is flagged and not yet resolved."),
        intro=_("The problem stays on the payment; your name, the time and how it was resolved are recorded:"),
    )
    def resolve_payments(self, request, payments, data):
        for payment in payments:
            if services.resolve(payment=payment, by=request.user, resolution=data["reason"]):
                message = gettext("Payment %(id)s: marked resolved.") % {"id": payment.pk}
                self.log_change(request, payment, f"{message} {data['reason']}")
            else:
                message = gettext("Payment %(id)s: already resolved.") % {"id": payment.pk}
            self.message_user(request, message)

    def _ask_yookassa(self, request, payment, what, actor=None, reason=""):
        try:
            answer = yookassa.fetch_payment(payment.provider_payment_id)
        except (yookassa.ResultUnknown, yookassa.Refused) as error:
            message = gettext("Payment %(id)s: YooKassa could not be reached (%(error)s), nothing changed.") % {
                "id": payment.pk,
                "error": error,
            }
            self.message_user(request, message, messages.ERROR)
            self.log_change(request, payment, f"{what}: {message}")
            return
        # Asked before the transaction: no transaction is held open across the call.
        with transaction.atomic():
            outcome = settlement.settle(payment=payment, answer=answer, actor=actor, reason=reason)
        message = gettext("Payment %(id)s: YooKassa says “%(status)s”; %(result)s.") % {
            "id": payment.pk,
            "status": answer.get("status", "?"),
            "result": _result(outcome, payment),
        }
        self.message_user(request, message, messages.SUCCESS if outcome == "credited" else messages.WARNING)
        self.log_change(request, payment, f"{what}: {message}" + (f" {reason}" if reason else ""))

    @admin.action(description=_("Refund Stars (and take the unspent credits back)"), permissions=["refund_stars"])
    @asks(
        ReasonForm,
        title=_("Refund Stars"),
        submit=_("Refund"),
        eligible=refundable_stars,
        none_eligible=_("None of the selected payments is a paid Stars payment not yet refunded."),
        intro=_(
            "These Stars payments will be refunded to the buyers by Telegram, and their unspent credits "
            "taken back through the ledger:"
        ),
    )
    def refund_stars(self, request, payments, data):
        for payment in payments:
            self._refund_stars(request, payment, data["reason"])

    def _refund_stars(self, request, payment, reason):
        paid = Decimal(str((payment.raw or {}).get("total_amount", payment.amount)))  # what Telegram took
        try:
            refund = stars.refund(payment, amount=paid, reason=f"Stars refund by {request.user}: {reason}")
        except sender.SendFailed as error:
            message = gettext("Payment %(id)s: Telegram refused the refund: %(error)s") % {
                "id": payment.pk,
                "error": error,
            }
            self.message_user(request, message, messages.ERROR)
            return
        if refund:
            note = gettext("refunded %(stars)s Stars; %(taken)s credits taken back, %(spent)s already spent") % {
                "stars": f"{paid:.0f}",
                "taken": refund.credits_debited,
                "spent": refund.shortfall,
            }
        else:
            note = gettext("already refunded")
        self.message_user(request, f"{payment.pk}: {note}")
        self.log_change(request, payment, f"{gettext('Stars refund')}: {note}. {gettext('Reason')}: {reason}")


def _result(outcome, payment):
    if outcome == "credited":
        return gettext("credited, %(credits)s credits added") % {"credits": payment.credits}
    return str(OUTCOMES.get(outcome, outcome))


def _back(request):
    """Back to the payment's page when the action was its button (a `_next` of this site only)."""
    target = request.POST.get("_next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return None


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
