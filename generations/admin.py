import uuid

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import TelegramUser
from billing import ledger
from generations import services
from generations.models import Generation, GenerationEvent
from neurocards.lib.admin_actions import ObjectActions, OnceForm, ReadOnlyInline, ReasonForm, asks, permission

Status = Generation.Status

REFUSALS = {
    "blocked": "the user is blocked",
    "active_orders": "the user already has {limit} order(s) in the works",
    "hourly": "the user reached {limit} generations an hour ({used} in the last hour)",
    "queue_full": "the queue is full ({queued} of {limit})",
    "balance": "not enough credits: {needed} needed, {balance} available",
}


def _media_url(generation, field):
    # Through the permission-checked view: the storage itself serves nobody.
    return reverse("generation-media", args=[generation.pk, field])


class EventInline(ReadOnlyInline):
    model = GenerationEvent
    verbose_name_plural = "attempt history"
    show_change_link = False
    fields = readonly_fields = ["at", "kind", "detail"]

    def has_view_permission(self, request, obj=None):
        # The attempts are part of the generation: whoever may see it sees them.
        return request.user.has_perm("generations.view_generation")


@admin.register(Generation)
class GenerationAdmin(ObjectActions):
    list_display = [
        "id",
        "user",
        "kind",
        "template",
        "status",
        "provider",
        "attempts",
        "error_class",
        "cost",
        "created_at",
    ]
    list_filter = ["status", "kind", "provider", "error_class", "created_at"]
    # get_search_results matches these exactly, by their indexes.
    search_fields = ["provider_task_id"]
    search_help_text = "Telegram ID or @username of the user, provider task id, or order id."
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
                    "provider",
                    "provider_task_id",
                    "attempts",
                ]
            },
        ),
        ("Inputs", {"fields": ["description", "wishes", "reference_preview", "reference_file_id", "final_prompt"]}),
        ("Result", {"fields": ["result_preview", "result_url"]}),
        ("Error", {"fields": ["error_class", "error_message"]}),
        (
            "Timing",
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
            "Messages sent",
            {
                "classes": ["collapse"],
                "fields": [
                    "accepted_sent_at",
                    "retry_sent_at",
                    "slow_sent_at",
                    "result_sent_at",
                    "failure_sent_at",
                    "delivery_attempts",
                    "next_delivery_at",
                    "result_parts_sent",
                ],
            },
        ),
    ]
    readonly_fields = [field.name for field in Generation._meta.fields] + ["reference_preview", "result_preview"]
    inlines = [EventInline]
    actions = ["refund_generations", "cancel_generations", "retry_generations"]
    object_actions = actions

    has_refund_generation_permission = permission("generations.refund_generation")
    has_cancel_generation_permission = permission("generations.cancel_generation")
    has_retry_generation_permission = permission("generations.retry_generation")

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
        query = Q(provider_task_id=term)
        if term.isdigit() and len(term) < 19:
            query |= Q(user__telegram_id=int(term))
        try:
            query |= Q(order_id=uuid.UUID(term))
        except ValueError:
            pass
        return queryset.filter(query), False

    @admin.display(description="product photo")
    def reference_preview(self, generation):
        if not generation.reference_image:
            return "—"
        return format_html(
            '<a href="{0}"><img src="{0}" alt="product photo" style="max-height: 240px"></a>',
            _media_url(generation, "reference"),
        )

    @admin.display(description="result")
    def result_preview(self, generation):
        if not generation.result_file:
            return "—"
        url = _media_url(generation, "result")
        if generation.kind == Generation.Kind.VIDEO:
            return format_html('<video src="{}" controls preload="metadata" style="max-height: 360px"></video>', url)
        return format_html('<a href="{0}"><img src="{0}" alt="result" style="max-height: 360px"></a>', url)

    @admin.action(description="Refund (once)", permissions=["refund_generation"])
    @asks(
        ReasonForm,
        title="Refund generations",
        submit="Refund",
        intro="Each generation's charge goes back to its user through the ledger, once. One still in the "
        "works is cancelled first, and its late result is discarded:",
    )
    def refund_generations(self, request, generations, data):
        for generation in generations:
            try:
                posting = services.support_refund(generation=generation, actor=request.user, reason=data["reason"])
            except (services.RefundRefused, ledger.NotCharged) as error:
                self.message_user(request, f"#{generation.pk}: not refunded. {error}", messages.ERROR)
                continue
            refunded = posting.entries[0].amount
            self.message_user(request, f"#{generation.pk}: {refunded} credits refunded, balance {posting.balance}.")
            self.log_change(request, generation, f"Refunded {refunded} credits. Reason: {data['reason']}")

    @admin.action(description="Cancel (and refund)", permissions=["cancel_generation"])
    @asks(
        ReasonForm,
        title="Cancel generations",
        submit="Cancel them",
        intro="Each generation still in the works is cancelled and refunded once; its late result is discarded:",
    )
    def cancel_generations(self, request, generations, data):
        for generation in generations:
            try:
                cancelled = services.cancel_generation(generation=generation, reason=data["reason"], actor=request.user)
            except ledger.NotCharged as error:
                self.message_user(request, f"#{generation.pk}: not cancelled. {error}", messages.ERROR)
                continue
            if not cancelled:
                self.message_user(request, f"#{generation.pk}: not in the works, nothing cancelled.", messages.WARNING)
                continue
            self.message_user(request, f"#{generation.pk}: cancelled and {generation.cost} credits refunded.")
            self.log_change(request, generation, f"Cancelled. Reason: {data['reason']}")

    @admin.action(description="Retry as a new order (charged)", permissions=["retry_generation"])
    @asks(
        OnceForm,
        title="Retry generations",
        submit="Retry",
        eligible=lambda queryset: queryset.filter(status__in=[Status.FAILED, Status.CANCELLED]),
        none_eligible="Only a failed or cancelled generation can be retried.",
        intro="Each becomes a new order of one with the same inputs, charged and limited as if the user ordered it:",
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
                        seconds=generation.seconds,
                        title=generation.title,
                        points=generation.points,
                    )
            except services.OrderRefused as refusal:
                reason = REFUSALS.get(refusal.reason, refusal.reason).format(**refusal.numbers)
                self.message_user(request, f"#{generation.pk}: not retried, {reason}.", messages.ERROR)
                continue
            new = order.generations[0]
            if not order.created:
                self.message_user(
                    request, f"#{generation.pk}: this form was already applied, it is #{new.pk}.", messages.WARNING
                )
                continue
            self.message_user(request, f"#{generation.pk}: retried as #{new.pk}, {new.cost} credits charged.")
            self.log_change(request, generation, f"Retried as #{new.pk}. Reason: {data['reason']}")
