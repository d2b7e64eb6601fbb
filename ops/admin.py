"""The admin's front page with the service's figures, and the users' page: support's console over every app
(credits through the ledger, messages through messaging, a user's payments and generations inline)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction, Payment
from generations.models import Generation
from messaging import sender, texts
from neurocards.lib.admin_actions import ObjectActions, OnceForm, ReasonForm, RecentInline, asks, permission
from ops import dashboard


class AmountForm(OnceForm):
    amount = forms.IntegerField(
        min_value=1,
        max_value=ledger.MAX_MANUAL_AMOUNT,
        help_text=f"Credits, at most {ledger.MAX_MANUAL_AMOUNT:,} at once.",
    )
    field_order = ["amount", "reason"]


class MessageForm(ReasonForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        max_length=4000,
        help_text="Plain text, sent as it is written.",
    )
    field_order = ["text", "reason"]


class GenerationInline(RecentInline):
    model = Generation
    verbose_name_plural = "recent generations"
    fields = readonly_fields = ["kind", "template", "status", "cost", "error_class", "created_at", "finished_at"]


class PaymentInline(RecentInline):
    model = Payment
    verbose_name_plural = "recent payments"
    fields = readonly_fields = ["method", "status", "amount", "currency", "credits", "created_at", "paid_at"]


class LedgerInline(RecentInline):
    model = CreditTransaction
    verbose_name_plural = "recent ledger entries"
    fields = readonly_fields = [
        "created_at",
        "amount",
        "kind",
        "balance_after",
        "generation",
        "payment",
        "actor",
        "reason",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("generation", "payment", "actor")


@admin.register(TelegramUser)
class TelegramUserAdmin(ObjectActions):
    list_display = [
        "telegram_id",
        "username",
        "full_name",
        "balance",
        "active_generations",
        "last_activity_at",
        "is_blocked",
        "created_at",
    ]
    list_filter = ["is_blocked", "language_code"]
    # get_search_results looks a Telegram ID up exactly (by its index); these are for words.
    search_fields = ["username", "first_name", "last_name"]
    search_help_text = "Telegram ID, @username or name."
    # The balance moves only through the ledger; staff change it with the grant/revoke actions.
    readonly_fields = ["balance", "is_blocked", "bot_blocked_at", "last_activity_at", "created_at", "updated_at"]
    fields = [
        "telegram_id",
        "username",
        "first_name",
        "last_name",
        "language_code",
        "balance",
        "is_blocked",
        "bot_blocked_at",
        "last_activity_at",
        "created_at",
        "updated_at",
    ]
    inlines = [GenerationInline, PaymentInline, LedgerInline]
    actions = ["grant_credits", "revoke_credits", "block_users", "unblock_users", "send_message"]
    object_actions = actions

    has_grant_credits_permission = permission("accounts.grant_credits")
    has_revoke_credits_permission = permission("accounts.revoke_credits")
    has_block_user_permission = permission("accounts.block_user")
    has_message_user_permission = permission("accounts.message_user")

    def get_queryset(self, request):
        active = (
            Generation.objects.filter(user=OuterRef("pk"), status__in=Generation.ACTIVE)
            .order_by()
            .values("user")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(active_generations=Coalesce(Subquery(active), 0))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().removeprefix("@")
        if term.isdigit() and len(term) < 19:
            return queryset.filter(telegram_id=int(term)), False
        return super().get_search_results(request, queryset, term)

    @admin.display(description="active generations", ordering="active_generations")
    def active_generations(self, user):
        return user.active_generations

    @admin.action(description="Grant credits", permissions=["grant_credits"])
    @asks(AmountForm, title="Grant credits", submit="Grant", intro="Credits are added through the ledger to:")
    def grant_credits(self, request, users, data):
        self._move_credits(request, users, data, ledger.grant_credits, "granted")

    @admin.action(description="Revoke credits", permissions=["revoke_credits"])
    @asks(
        AmountForm,
        title="Revoke credits",
        submit="Revoke",
        intro="Credits are taken back through the ledger, never below zero, from:",
    )
    def revoke_credits(self, request, users, data):
        self._move_credits(request, users, data, ledger.revoke_credits, "revoked")

    def _move_credits(self, request, users, data, post, done):
        amount, reason = data["amount"], data["reason"]
        for user in users:
            try:
                # One key per submitted form and user: a double submit moves the credits once.
                posting = post(
                    user=user, amount=amount, actor=request.user, reason=reason, key=f"{data['key']}:{user.pk}"
                )
            except (ledger.InsufficientCredits, ledger.BalanceTooLarge) as error:
                self.message_user(request, f"{user}: nothing {done}. {error}", messages.ERROR)
                continue
            if not posting.created:
                self.message_user(
                    request, f"{user}: this form was already applied, nothing {done} again.", messages.WARNING
                )
                continue
            self.message_user(request, f"{user}: {amount} credits {done}, balance {posting.balance}.")
            self.log_change(request, user, f"{done.capitalize()} {amount} credits. Reason: {reason}")

    @admin.action(description="Block", permissions=["block_user"])
    @asks(ReasonForm, title="Block users", submit="Block", intro="The bot will refuse new orders from:")
    def block_users(self, request, users, data):
        self._set_blocked(request, users, True, data["reason"])

    @admin.action(description="Unblock", permissions=["block_user"])
    @asks(ReasonForm, title="Unblock users", submit="Unblock", intro="The bot will take orders again from:")
    def unblock_users(self, request, users, data):
        self._set_blocked(request, users, False, data["reason"])

    def _set_blocked(self, request, users, blocked, reason):
        verb = "Blocked" if blocked else "Unblocked"
        for user in users:
            # Conditional, so two staff pressing at once log one change.
            if TelegramUser.objects.filter(pk=user.pk, is_blocked=not blocked).update(is_blocked=blocked):
                self.message_user(request, f"{user}: {verb.lower()}.")
                self.log_change(request, user, f"{verb}. Reason: {reason}")
            else:
                self.message_user(request, f"{user}: already {verb.lower()}.", messages.WARNING)

    @admin.action(description="Send a message", permissions=["message_user"])
    @asks(MessageForm, title="Send a message", submit="Send", intro="The bot will send your text to:")
    def send_message(self, request, users, data):
        for user in users:
            try:
                delivered = sender.send_message(user.telegram_id, texts.e(data["text"]))
            except sender.SendFailed:
                self.message_user(
                    request, f"{user}: Telegram is not reachable, the message was not sent.", messages.ERROR
                )
                continue
            if delivered is None:
                self.message_user(
                    request,
                    f"{user}: Telegram refused the message (the user may have blocked the bot).",
                    messages.ERROR,
                )
                continue
            self.message_user(request, f"{user}: message sent.")
            self.log_change(request, user, f"Sent a message: {data['text'][:500]}. Reason: {data['reason']}")


_index = admin.site.index


def index(request, extra_context=None):
    """The admin's front page with the service's figures (templates/admin/index.html shows them)."""
    return _index(request, {"dashboard": dashboard.figures(request.user), **(extra_context or {})})


# Replacing the view on the default site is lighter than a custom AdminSite: every app keeps
# registering with admin.site, and the URLconf is unchanged.
admin.site.index = index
