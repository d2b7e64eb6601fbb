import uuid

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from generations import admin_columns as columns
from generations import services, support_notify, video_models
from generations.models import Generation
from neurocards.lib.admin_actions import (
    ObjectActions,
    OnceForm,
    ReasonForm,
    TellsUser,
    asks,
    permission,
)

Status = Generation.Status
Kind = CreditTransaction.Kind

REFUSALS = {
    "blocked": _("the user is blocked"),
    "active_orders": _("the user already has {limit} order(s) in the works"),
    "hourly": _("the user reached {limit} generations an hour ({used} in the last hour)"),
    "queue_full": _("the queue is full ({queued} of {limit})"),
    "balance": _("not enough credits: {needed} needed, {balance} available"),
}
RESENDABLE = Q(status=Status.COMPLETED) & ~Q(result_file="")


class RefundForm(TellsUser, ReasonForm):
    pass


class ResendForm(OnceForm):
    pass


def _video_choice(generation):
    """The model the seller ordered (not one that took the order over), if still on, and the duration it makes
    nearest to the one ordered; turned off, the default model."""
    if generation.kind != Generation.Kind.VIDEO:
        return {"seconds": generation.seconds}
    model = video_models.chosen(generation.ordered_model or generation.model)
    return {"model": model.key, "seconds": model.nearest_seconds(generation.seconds) if generation.seconds else None}


def _media_url(generation, field):
    # Through the permission-checked view: the storage itself serves nobody.
    return reverse("generation-media", args=[generation.pk, field])


@admin.register(Generation)
class GenerationAdmin(ObjectActions):
    list_display = [
        "id",
        "user",
        "kind",
        "template",
        "model_column",
        "status",
        "provider",
        "attempts",
        "error_class",
        "cost",
        "created_at",
        "age",
        "deadline",
        "delivery",
    ]
    list_filter = [
        columns.OverdueFilter,
        "status",
        "kind",
        columns.ModelFilter,
        columns.TakenOverFilter,
        "provider",
        "error_class",
        "created_at",
    ]
    # get_search_results matches these exactly, by their indexes.
    search_fields = ["provider_task_id"]
    search_help_text = _("Telegram ID or @username of the user, provider task id, order id, or model key.")
    list_select_related = ["user"]
    # State and money change through generations.services and billing.ledger, not by editing rows;
    # the callback token is a secret and is not shown.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "user",
                    "order_id",
                    "kind",
                    "template",
                    "status",
                    "cost",
                    "refund",
                    "made_by",
                    "ordered",
                    "provider",
                    "provider_task_id",
                    "attempts",
                ]
            },
        ),
        (
            _("Inputs"),
            {"fields": ["description", "wishes", "reference_preview", "reference_file_id", "final_prompt"]},
        ),
        (_("Result"), {"fields": ["result_preview", "result_url", "delivery"]}),
        (_("Error"), {"fields": ["error_class", "error_message"]}),
        (
            _("Timing"),
            {
                "classes": ["collapse"],
                "fields": [
                    "created_at",
                    "submitted_at",
                    "finished_at",
                    "timeout_at",
                    "next_attempt_at",
                    "next_poll_at",
                    "create_started_at",
                    "updated_at",
                ],
            },
        ),
        (
            _("Messages sent"),
            {
                "classes": ["collapse"],
                "fields": [
                    "accepted_sent_at",
                    "retry_sent_at",
                    "slow_sent_at",
                    "result_sent_at",
                    "failure_sent_at",
                    "refund_sent_at",
                    "delivery_attempts",
                    "next_delivery_at",
                    "result_parts_sent",
                ],
            },
        ),
    ]
    readonly_fields = [field.name for field in Generation._meta.fields] + [
        "reference_preview",
        "result_preview",
        "refund",
        "delivery",
        "made_by",
        "ordered",
    ]
    inlines = [columns.EventInline]
    actions = ["refund_generations", "cancel_generations", "retry_generations", "resend_results"]
    object_actions = actions

    has_refund_generation_permission = permission("generations.refund_generation")
    has_cancel_generation_permission = permission("generations.cancel_generation")
    has_retry_generation_permission = permission("generations.retry_generation")
    has_resend_result_permission = permission("generations.resend_result")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith("@"):
            return queryset.filter(user__username__iexact=term[1:]), False
        if term in video_models.CATALOG or term == video_models.IMAGE_MODEL:
            return queryset.filter(model=term), False
        query = Q(provider_task_id=term)
        if term.isdigit() and len(term) < 19:
            query |= Q(user__telegram_id=int(term))
        try:
            query |= Q(order_id=uuid.UUID(term))
        except ValueError:
            pass
        return queryset.filter(query), False

    def action_applies(self, name, obj):
        if name == "refund_generations":
            return obj.status != Status.COMPLETED and self._money(obj) == {Kind.GENERATION_CHARGE}
        if name == "cancel_generations":
            return obj.status in Generation.ACTIVE
        if name == "retry_generations":
            return obj.status in (Status.FAILED, Status.CANCELLED)
        if name == "resend_results":
            return obj.status == Status.COMPLETED and bool(obj.result_file)
        return True

    def _money(self, generation):
        """The kinds of ledger rows of this generation (charged, refunded), read once per page."""
        if not hasattr(generation, "_money"):
            generation._money = set(
                CreditTransaction.objects.filter(
                    generation_id=generation.pk, kind__in=[Kind.GENERATION_CHARGE, Kind.GENERATION_REFUND]
                ).values_list("kind", flat=True)
            )
        return generation._money

    @admin.display(description=_("model"), ordering="model")
    def model_column(self, generation):
        return columns.model(generation)

    @admin.display(description=_("model"))
    def made_by(self, generation):
        return f"{columns.model_label(generation.model)} ({generation.model or '—'})"

    @admin.display(description=_("model ordered"))
    def ordered(self, generation):
        return f"{columns.model_label(generation.ordered_model)} ({generation.ordered_model or '—'})"

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, generation):
        return columns.age(generation.created_at, timezone.now())

    @admin.display(description=_("deadline"), ordering="timeout_at")
    def deadline(self, generation):
        return columns.deadline(generation, timezone.now())

    @admin.display(description=_("delivery"))
    def delivery(self, generation):
        return columns.delivery(generation)

    @admin.display(description=_("refund"))
    def refund(self, generation):
        row = (
            CreditTransaction.objects.filter(generation_id=generation.pk, kind=Kind.GENERATION_REFUND)
            .select_related("actor")
            .first()
        )
        return columns.refund(row)

    @admin.display(description=_("product photo"))
    def reference_preview(self, generation):
        if not generation.reference_image:
            return "—"
        return format_html(
            '<a href="{0}"><img src="{0}" alt="product photo" style="max-height: 240px"></a>',
            _media_url(generation, "reference"),
        )

    @admin.display(description=_("result"))
    def result_preview(self, generation):
        if not generation.result_file:
            return "—"
        url = _media_url(generation, "result")
        if generation.kind == Generation.Kind.VIDEO:
            return format_html('<video src="{}" controls preload="metadata" style="max-height: 360px"></video>', url)
        return format_html('<a href="{0}"><img src="{0}" alt="result" style="max-height: 360px"></a>', url)

    @admin.action(description=_("Refund (once)"), permissions=["refund_generation"])
    @asks(
        RefundForm,
        title=_("Refund generations"),
        submit=_("Refund"),
        eligible=lambda queryset: (
            queryset.exclude(status=Status.COMPLETED)
            .filter(transactions__kind=Kind.GENERATION_CHARGE)
            .exclude(transactions__kind=Kind.GENERATION_REFUND)
        ),
        none_eligible=_("Only a charged generation that did not complete and was not refunded yet can be refunded."),
        intro=_(
            "Each generation's charge goes back to its user through the ledger, once. One still in the "
            "works is cancelled first, and its late result is discarded:"
        ),
    )
    def refund_generations(self, request, generations, data):
        for generation in generations:
            try:
                posting = services.support_refund(generation=generation, actor=request.user, reason=data["reason"])
            except (services.RefundRefused, ledger.NotCharged) as error:
                self.message_user(
                    request,
                    gettext("#%(id)s: not refunded. %(error)s") % {"id": generation.pk, "error": error},
                    messages.ERROR,
                )
                continue
            refunded = posting.entries[0].amount
            self.message_user(
                request,
                gettext("#%(id)s: %(credits)s credits refunded, balance %(balance)s.")
                % {"id": generation.pk, "credits": refunded, "balance": posting.balance},
            )
            self.log_change(
                request,
                generation,
                gettext("Refunded %(amount)s credits. Reason: %(reason)s")
                % {"amount": refunded, "reason": data["reason"]},
            )
            if data["tell_user"]:
                self._tell(request, generation, cancelled=False)

    @admin.action(description=_("Cancel (and refund)"), permissions=["cancel_generation"])
    @asks(
        RefundForm,
        title=_("Cancel generations"),
        submit=_("Cancel them"),
        eligible=lambda queryset: queryset.filter(status__in=Generation.ACTIVE),
        none_eligible=_("Only a generation still in the works can be cancelled."),
        intro=_("Each generation still in the works is cancelled and refunded once; its late result is discarded:"),
    )
    def cancel_generations(self, request, generations, data):
        for generation in generations:
            try:
                cancelled = services.cancel_generation(generation=generation, reason=data["reason"], actor=request.user)
            except ledger.NotCharged as error:
                self.message_user(
                    request,
                    gettext("#%(id)s: not cancelled. %(error)s") % {"id": generation.pk, "error": error},
                    messages.ERROR,
                )
                continue
            if not cancelled:
                self.message_user(
                    request,
                    gettext("#%(id)s: not in the works, nothing cancelled.") % {"id": generation.pk},
                    messages.WARNING,
                )
                continue
            self.message_user(
                request,
                gettext("#%(id)s: cancelled and %(credits)s credits refunded.")
                % {"id": generation.pk, "credits": generation.cost},
            )
            self.log_change(request, generation, gettext("Cancelled. Reason: %(reason)s") % {"reason": data["reason"]})
            if data["tell_user"]:
                self._tell(request, generation, cancelled=True)

    def _tell(self, request, generation, *, cancelled):
        # By a worker: a Telegram slow or down must not hold the admin's page (the sender retries for a minute).
        support_notify.tell_refunded_later(generation.pk, cancelled=cancelled)
        self.message_user(request, gettext("#%(id)s: the bot will tell the user.") % {"id": generation.pk})

    @admin.action(description=_("Retry as a new order (charged)"), permissions=["retry_generation"])
    @asks(
        OnceForm,
        title=_("Retry generations"),
        submit=_("Retry"),
        eligible=lambda queryset: queryset.filter(status__in=[Status.FAILED, Status.CANCELLED]),
        none_eligible=_("Only a failed or cancelled generation can be retried."),
        intro=_("Each becomes a new order of one with the same inputs, charged and limited as if the user ordered it:"),
    )
    def retry_generations(self, request, generations, data):
        for generation in generations:
            # From the form's key: the same form submitted twice finds its order and charges once.
            order_id = uuid.uuid5(data["key"], str(generation.pk))
            try:
                with transaction.atomic():
                    # create_order expects the user's row locked, as the bot's turn holds it.
                    user = TelegramUser.objects.select_for_update().get(pk=generation.user_id)
                    order = services.create_order(
                        user=user,
                        kind=generation.kind,
                        template=generation.template,
                        description=generation.description,
                        wishes=generation.wishes,
                        reference_file_id=generation.reference_file_id,
                        count=1,
                        order_id=order_id,
                        card_format=generation.card_format,
                        title=generation.title,
                        points=generation.points,
                        **_video_choice(generation),
                    )
            except services.OrderRefused as refusal:
                reason = str(REFUSALS.get(refusal.reason, refusal.reason)).format(**refusal.numbers)
                self.message_user(
                    request,
                    gettext("#%(id)s: not retried, %(reason)s.") % {"id": generation.pk, "reason": reason},
                    messages.ERROR,
                )
                continue
            new = order.generations[0]
            if not order.created:
                self.message_user(
                    request,
                    gettext("#%(id)s: this form was already applied, it is #%(new)s.")
                    % {"id": generation.pk, "new": new.pk},
                    messages.WARNING,
                )
                continue
            self.message_user(
                request,
                gettext("#%(id)s: retried as #%(new)s, %(credits)s credits charged.")
                % {"id": generation.pk, "new": new.pk, "credits": new.cost},
            )
            self.log_change(
                request,
                generation,
                gettext("Retried as #%(id)s. Reason: %(reason)s") % {"id": new.pk, "reason": data["reason"]},
            )

    @admin.action(description=_("Send the result again"), permissions=["resend_result"])
    @asks(
        ResendForm,
        title=_("Send results again"),
        submit=_("Send again"),
        eligible=lambda queryset: queryset.filter(RESENDABLE),
        none_eligible=_("Only a completed generation with its result file can be sent again."),
        intro=_("Each result goes to the user's chat again, as it was first sent (file, caption, buttons):"),
    )
    def resend_results(self, request, generations, data):
        for generation in generations:
            try:
                sent = support_notify.resend_result(generation.pk, key=data["key"], actor=request.user)
            except support_notify.NotResent as error:
                self.message_user(
                    request,
                    gettext("#%(id)s: not sent again, %(error)s.") % {"id": generation.pk, "error": error},
                    messages.ERROR,
                )
                continue
            if not sent:
                self.message_user(
                    request,
                    gettext("#%(id)s: this form was already applied, the result went once.") % {"id": generation.pk},
                    messages.WARNING,
                )
                continue
            self.message_user(
                request, gettext("#%(id)s: the result was sent to the user again.") % {"id": generation.pk}
            )
            self.log_change(
                request, generation, gettext("Result sent again. Reason: %(reason)s") % {"reason": data["reason"]}
            )
