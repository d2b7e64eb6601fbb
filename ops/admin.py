"""The admin's front page with the service's figures, and the users' page: support's console over every app
(credits through the ledger, messages through messaging, a user's payments and generations inline)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction, Payment
from botapp.models import FlowState
from generations.models import Generation
from messaging import sender, texts
from neurocards.lib.admin_actions import (
    ObjectActions,
    OnceForm,
    ReasonForm,
    RecentInline,
    TellsUser,
    asks,
    permission,
)
from ops import audit, console, dashboard, tell  # noqa: F401  (audit and console register with admin.site)
from ops.growth_admin import (
    REWARD_KINDS,
    CampaignFilter,
    InvitedFilter,
    InviteeInline,
    PromoRedemptionInline,
    ReferralRewardInline,
    user_link,
)


class AmountForm(TellsUser, OnceForm):
    amount = forms.IntegerField(
        label=_("Amount"),
        min_value=1,
        max_value=ledger.MAX_MANUAL_AMOUNT,
        help_text=format_lazy(
            _("Credits, at most {max} at once."), max=f"{ledger.MAX_MANUAL_AMOUNT:,}".replace(",", " ")
        ),
    )
    field_order = ["amount", "reason", "tell_user"]


class MessageForm(ReasonForm):
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        max_length=4000,
        help_text=_("Plain text, sent as it is written."),
    )
    field_order = ["text", "reason"]


class GenerationInline(RecentInline):
    model = Generation
    verbose_name_plural = _("recent generations")
    fields = readonly_fields = ["kind", "template", "status", "cost", "error_class", "created_at", "finished_at"]


class PaymentInline(RecentInline):
    model = Payment
    verbose_name_plural = _("recent payments")
    fields = readonly_fields = ["method", "status", "amount", "currency", "credits", "created_at", "paid_at"]


class LedgerInline(RecentInline):
    model = CreditTransaction
    verbose_name_plural = _("recent ledger entries")
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


def _flow(user):
    """The user's flow state, or None for one who never started a request."""
    try:
        return user.flow
    except FlowState.DoesNotExist:
        return None


def _not_blocked(users):
    return users.filter(is_blocked=False)


def _blocked(users):
    return users.filter(is_blocked=True)


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
    list_filter = ["is_blocked", "language_code", CampaignFilter, InvitedFilter]
    # get_search_results looks a Telegram ID up exactly (by its index); these are for words.
    search_fields = ["username", "first_name", "last_name", "=referral_code"]
    search_help_text = _("Telegram ID, @username, name or invite code.")
    # The balance moves only through the ledger; staff change it with the grant/revoke actions. The
    # Telegram ID is who the user is: the bot makes the row, nobody retypes it.
    readonly_fields = [
        "telegram_id",
        "balance",
        "is_blocked",
        "bot_blocked_at",
        "flow_step",
        "flow_updated_at",
        "last_activity_at",
        "created_at",
        "updated_at",
        "invited_by",
        "campaign",
        "referral_code",
        "referrals",
    ]
    fields = [
        "telegram_id",
        "username",
        "first_name",
        "last_name",
        "language_code",
        "email",
        "balance",
        "is_blocked",
        "bot_blocked_at",
        "flow_step",
        "flow_updated_at",
        "last_activity_at",
        "invited_by",
        "campaign",
        "referral_code",
        "referrals",
        "created_at",
        "updated_at",
    ]
    inlines = [
        GenerationInline,
        PaymentInline,
        LedgerInline,
        InviteeInline,
        ReferralRewardInline,
        PromoRedemptionInline,
    ]
    actions = ["grant_credits", "revoke_credits", "block_users", "unblock_users", "send_message"]
    object_actions = actions

    has_grant_credits_permission = permission("accounts.grant_credits")
    has_revoke_credits_permission = permission("accounts.revoke_credits")
    has_block_user_permission = permission("accounts.block_user")
    has_message_user_permission = permission("accounts.message_user")

    def has_add_permission(self, request):
        # A Telegram user exists because they wrote to the bot; a hand-made row would be nobody's.
        return False

    def action_applies(self, name, user):
        if name == "block_users":
            return not user.is_blocked
        if name == "unblock_users":
            return user.is_blocked
        return True

    def get_queryset(self, request):
        active = (
            Generation.objects.filter(user=OuterRef("pk"), status__in=Generation.ACTIVE)
            .order_by()
            .values("user")
            .annotate(n=Count("pk"))
            .values("n")
        )
        users = super().get_queryset(request).annotate(active_generations=Coalesce(Subquery(active), 0))
        return users.select_related("flow", "referred_by")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().removeprefix("@")
        if term.isdigit() and len(term) < 19:
            return queryset.filter(telegram_id=int(term)), False
        return super().get_search_results(request, queryset, term)

    @admin.display(description=_("active generations"), ordering="active_generations")
    def active_generations(self, user):
        return user.active_generations

    @admin.display(description=_("full name"))
    def full_name(self, user):
        return user.full_name

    @admin.display(description=_("invited by"))
    def invited_by(self, user):
        return user_link(user.referred_by) if user.referred_by else self.get_empty_value_display()

    @admin.display(description=_("referrals"))
    def referrals(self, user):
        """Whom they invited and what it earned them, in two aggregates; the rows are in the inlines below."""
        paid = Payment.objects.filter(user=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
        invited = (
            TelegramUser.objects.filter(referred_by=user)
            .annotate(has_paid=Exists(paid))
            .aggregate(n=Count("pk"), paying=Count("pk", filter=Q(has_paid=True)))
        )
        earned = CreditTransaction.objects.filter(user=user, kind__in=REWARD_KINDS).aggregate(
            total=Coalesce(Sum("amount"), 0)
        )["total"]
        url = reverse("admin:accounts_telegramuser_changelist") + f"?referred_by__id__exact={user.pk}"
        summary = _("%(invited)s invited, %(paying)s of them paid; referral rewards: %(earned)s credits") % {
            "invited": invited["n"],
            "paying": invited["paying"],
            "earned": earned,
        }
        return format_html('<a href="{}">{}</a>', url, summary)

    @admin.display(description=_("step in the bot"))
    def flow_step(self, user):
        state = _flow(user)
        return state.step_name if state else FlowState.STEP_NAMES["idle"]

    @admin.display(description=_("step updated"))
    def flow_updated_at(self, user):
        state = _flow(user)
        return state.updated_at if state else self.get_empty_value_display()

    @admin.action(description=_("Grant credits"), permissions=["grant_credits"])
    @asks(
        AmountForm,
        title=_("Grant credits"),
        submit=_("Grant"),
        intro=_("Credits are added through the ledger to:"),
    )
    def grant_credits(self, request, users, data):
        self._move_credits(request, users, data, ledger.grant_credits, granted=True)

    @admin.action(description=_("Revoke credits"), permissions=["revoke_credits"])
    @asks(
        AmountForm,
        title=_("Revoke credits"),
        submit=_("Revoke"),
        intro=_("Credits are taken back through the ledger, never below zero, from:"),
    )
    def revoke_credits(self, request, users, data):
        self._move_credits(request, users, data, ledger.revoke_credits, granted=False)

    def _move_credits(self, request, users, data, post, *, granted):
        amount, reason = data["amount"], data["reason"]
        for user in users:
            try:
                # One key per submitted form and user: a double submit moves the credits once.
                posting = post(
                    user=user, amount=amount, actor=request.user, reason=reason, key=f"{data['key']}:{user.pk}"
                )
            except ledger.InsufficientCredits as error:
                refused = _("%(user)s: nothing revoked, not enough credits: %(needed)s needed, %(balance)s available.")
                self.message_user(
                    request, refused % {"user": user, "needed": error.needed, "balance": error.balance}, messages.ERROR
                )
                continue
            except ledger.BalanceTooLarge as error:
                refused = _("%(user)s: nothing granted, the balance can't hold %(adding)s more credits.")
                self.message_user(request, refused % {"user": user, "adding": error.adding}, messages.ERROR)
                continue
            if not posting.created:
                # The request that made the posting told the user; this one tells nobody.
                again = _("%(user)s: this form was already applied, nothing granted again.")
                if not granted:
                    again = _("%(user)s: this form was already applied, nothing revoked again.")
                self.message_user(request, again % {"user": user}, messages.WARNING)
                continue
            done = _("%(user)s: %(amount)s credits granted, balance %(balance)s.")
            logged = _("Granted %(amount)s credits. Reason: %(reason)s")
            if not granted:
                done = _("%(user)s: %(amount)s credits revoked, balance %(balance)s.")
                logged = _("Revoked %(amount)s credits. Reason: %(reason)s")
            self.message_user(request, done % {"user": user, "amount": amount, "balance": posting.balance})
            self.log_change(request, user, logged % {"amount": amount, "reason": reason})
            if data.get("tell_user"):
                self._tell(
                    request, user, tell.credits_moved(user, amount=posting.entries[0].amount, balance=posting.balance)
                )

    def _tell(self, request, user, told):
        if told == tell.SENT:
            self.message_user(request, _("%(user)s: the user was told.") % {"user": user})
        elif told == tell.BLOCKED:
            self.message_user(
                request, _("%(user)s: not told, the user has blocked the bot.") % {"user": user}, messages.WARNING
            )
        else:
            self.message_user(
                request,
                _("%(user)s: not told, Telegram did not take the message.") % {"user": user},
                messages.WARNING,
            )

    @admin.action(description=_("Block"), permissions=["block_user"])
    @asks(
        ReasonForm,
        title=_("Block users"),
        submit=_("Block"),
        intro=_("The bot will refuse new orders from:"),
        eligible=_not_blocked,
        none_eligible=_("All the selected users are blocked already."),
    )
    def block_users(self, request, users, data):
        self._set_blocked(request, users, True, data["reason"])

    @admin.action(description=_("Unblock"), permissions=["block_user"])
    @asks(
        ReasonForm,
        title=_("Unblock users"),
        submit=_("Unblock"),
        intro=_("The bot will take orders again from:"),
        eligible=_blocked,
        none_eligible=_("None of the selected users is blocked."),
    )
    def unblock_users(self, request, users, data):
        self._set_blocked(request, users, False, data["reason"])

    def _set_blocked(self, request, users, blocked, reason):
        done, logged, already = (
            (_("%(user)s: blocked."), _("Blocked. Reason: %(reason)s"), _("%(user)s: already blocked."))
            if blocked
            else (_("%(user)s: unblocked."), _("Unblocked. Reason: %(reason)s"), _("%(user)s: already unblocked."))
        )
        for user in users:
            # Conditional, so two staff pressing at once log one change.
            if TelegramUser.objects.filter(pk=user.pk, is_blocked=not blocked).update(is_blocked=blocked):
                self.message_user(request, done % {"user": user})
                self.log_change(request, user, logged % {"reason": reason})
            else:
                self.message_user(request, already % {"user": user}, messages.WARNING)

    @admin.action(description=_("Send a message"), permissions=["message_user"])
    @asks(
        MessageForm,
        title=_("Send a message"),
        submit=_("Send"),
        intro=_("The bot will send your text to:"),
    )
    def send_message(self, request, users, data):
        for user in users:
            try:
                delivered = sender.send_message(user.telegram_id, texts.e(data["text"]))
            except sender.SendFailed:
                self.message_user(
                    request,
                    _("%(user)s: Telegram is not reachable, the message was not sent.") % {"user": user},
                    messages.ERROR,
                )
                continue
            if delivered is None:
                self.message_user(
                    request,
                    _("%(user)s: Telegram refused the message (the user may have blocked the bot).") % {"user": user},
                    messages.ERROR,
                )
                continue
            self.message_user(request, _("%(user)s: message sent.") % {"user": user})
            self.log_change(
                request,
                user,
                _("Sent a message: %(text)s. Reason: %(reason)s")
                % {"text": data["text"][:500], "reason": data["reason"]},
            )


_index = admin.site.index


def index(request, extra_context=None):
    """The admin's front page with the service's figures (templates/admin/index.html shows them)."""
    return _index(request, {"dashboard": dashboard.figures(request.user), **(extra_context or {})})


# Replacing the view on the default site is lighter than a custom AdminSite: every app keeps
# registering with admin.site, and the URLconf is unchanged.
admin.site.index = index
