import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from generations import storage, video_models


def unit_cost(kind, seconds=None, model=None):
    """Credits for one generation of this kind; a video's by its model (the default one when None) and its
    duration (the model's default when None)."""
    if kind != "video":
        return settings.IMAGE_COST
    return video_models.chosen(model).price(seconds)


class ErrorClass(models.TextChoices):
    """Why a generation failed, in the plain words support reads (the pipeline's classes, providers/base.py)."""

    USER = "user", _("refused by the provider's rules")
    TEMPORARY = "temporary", _("temporary failure")
    RATE_LIMIT = "rate_limit", _("provider's rate limit")
    BILLING = "billing", _("provider account out of credits")
    CONFIGURATION = "configuration", _("configuration error")
    TIMEOUT = "timeout", _("no result before the deadline")
    LOST = "lost", _("lost at the provider")
    CANCELLED = "cancelled", _("cancelled")


def _callback_token():
    return secrets.token_urlsafe(24)


class Generation(models.Model):
    """One video or image. An order of N creates N rows, each charged and refunded on its own."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("video")
        IMAGE = "image", _("image card")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SUBMITTING = "submitting", _("submitting")
        PROCESSING = "processing", _("processing")
        COMPLETED = "completed", _("completed")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    ACTIVE = [Status.QUEUED, Status.SUBMITTING, Status.PROCESSING]
    FINISHED = [Status.COMPLETED, Status.FAILED, Status.CANCELLED]

    user = models.ForeignKey(
        "accounts.TelegramUser", models.PROTECT, related_name="generations", verbose_name=_("user")
    )
    order_id = models.UUIDField(
        _("order"), default=uuid.uuid4, db_index=True, help_text=_("Generations confirmed together.")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    template = models.CharField(_("template"), max_length=32)
    description = models.TextField(_("product description"))
    wishes = models.TextField(_("user prompt or wishes"), blank=True)
    final_prompt = models.TextField(_("final prompt"), blank=True)
    # What the seller ordered beyond the template: where a card goes (generations.formats), how long a
    # video is, and the product's short title and selling points that we typeset on infographics and covers.
    card_format = models.CharField(_("card format"), max_length=16, blank=True)
    seconds = models.PositiveSmallIntegerField(_("video duration, s"), null=True, blank=True)
    title = models.CharField(_("product title"), max_length=120, blank=True)
    points = models.JSONField(_("selling points"), default=list, blank=True)
    reference_file_id = models.CharField(_("Telegram file id of the photo"), max_length=256, blank=True)
    reference_image = models.FileField(_("product photo"), upload_to=storage.reference_upload_to, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    # The model that makes it (generations.video_models; IMAGE_MODEL for cards) and the one the seller chose:
    # they differ when another model took the order over while the chosen one was paused (VIDEO_FALLBACK).
    model = models.CharField(_("model"), max_length=16, blank=True, db_index=True)
    ordered_model = models.CharField(_("model ordered"), max_length=16, blank=True)
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    provider_task_id = models.CharField(_("provider task id"), max_length=128, blank=True)
    callback_token = models.CharField(
        _("callback token"), max_length=64, unique=True, default=_callback_token, editable=False
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, help_text=_("When a queued row is due to be submitted.")
    )
    # Set just before the provider is asked to create the task: a row found in `submitting` with this
    # set and no task id may have a provider task we can't see, so it is failed, never submitted twice.
    create_started_at = models.DateTimeField(_("task creation started at"), null=True, blank=True)
    next_poll_at = models.DateTimeField(
        _("next poll at"), null=True, blank=True, help_text=_("When the poller reads the task next.")
    )
    # Reads in a row that failed (junk, 5xx, network): each pushes the next read back; too many fail the row.
    poll_errors = models.PositiveSmallIntegerField(_("failed reads in a row"), default=0)
    # The result's download, check and store: attempts so far, and when the watchdog hands it out again.
    finish_attempts = models.PositiveSmallIntegerField(_("result download attempts"), default=0)
    next_finish_at = models.DateTimeField(_("next result download at"), null=True, blank=True)
    timeout_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    error_class = models.CharField(_("error class"), max_length=32, blank=True, choices=ErrorClass.choices)
    error_message = models.TextField(_("error message"), blank=True)
    result_url = models.URLField(
        _("result URL"), max_length=2000, blank=True, help_text=_("Where the provider put the result.")
    )
    result_file = models.FileField(_("result file"), upload_to=storage.result_upload_to, blank=True)
    cost = models.PositiveIntegerField(_("cost, credits"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    # Each user-visible event is sent once: the sender claims the marker with a conditional UPDATE.
    accepted_sent_at = models.DateTimeField(_("«accepted» sent at"), null=True, blank=True)
    retry_sent_at = models.DateTimeField(_("«retrying» sent at"), null=True, blank=True)
    slow_sent_at = models.DateTimeField(_("«still working» sent at"), null=True, blank=True)
    result_sent_at = models.DateTimeField(_("result delivered at"), null=True, blank=True)
    failure_sent_at = models.DateTimeField(_("«failed» sent at"), null=True, blank=True)
    # Support's refund or cancel told to the user (generations/support_notify.py), once.
    refund_sent_at = models.DateTimeField(_("«support refunded» sent at"), null=True, blank=True)
    # A result Telegram would not take is tried again with backoff (generations/notify.py): the tries
    # so far, when the next is due (while a try runs: until when it holds the claim), and how many of
    # the result's messages (a card is a photo and a document) went, so a retry sends only the rest.
    delivery_attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    next_delivery_at = models.DateTimeField(_("next delivery at"), null=True, blank=True)
    result_parts_sent = models.PositiveSmallIntegerField(_("result messages sent"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("generation")
        verbose_name_plural = _("generations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "submitting", "processing", "completed", "failed", "cancelled"]),
                name="generation_status_valid",
            ),
            models.CheckConstraint(condition=Q(kind__in=["video", "image"]), name="generation_kind_valid"),
        ]
        indexes = [
            # The dispatcher and the poller: what is due to be submitted or read next.
            models.Index(fields=["status", "next_attempt_at"], name="generation_due"),
            models.Index(fields=["status", "next_poll_at"], name="generation_poll_due"),
            # The watchdog: in-flight rows past their deadline.
            models.Index(fields=["status", "timeout_at"], name="generation_deadline"),
            # The delivery retry pass: the few completed results not delivered yet.
            models.Index(
                fields=["next_delivery_at"],
                name="generation_undelivered",
                condition=Q(status="completed", result_sent_at__isnull=True),
            ),
            # The bot's history, limits and the admin's user page.
            models.Index(fields=["user", "-created_at"], name="generation_user_recent"),
            models.Index(fields=["user", "status"], name="generation_user_status"),
            # Callbacks and the admin's search by provider task.
            models.Index(fields=["provider_task_id"], name="generation_provider_task"),
            models.Index(fields=["created_at"], name="generation_created"),
        ]
        permissions = [
            ("refund_generation", "Can refund generations"),
            ("cancel_generation", "Can cancel generations"),
            ("retry_generation", "Can retry generations"),
            ("resend_result", "Can send a result again"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_active(self):
        return self.status in self.ACTIVE


class GenerationEvent(models.Model):
    """The attempt history of a generation, for support: submits, retries, errors, results."""

    generation = models.ForeignKey(Generation, models.CASCADE, related_name="events", verbose_name=_("generation"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    kind = models.CharField(_("event"), max_length=32)
    detail = models.TextField(_("detail"), blank=True)
    # An event staff caused once per submitted form (a resend): its form's key, so a resubmit adds nothing.
    key = models.CharField(_("key"), max_length=80, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempt history")
        ordering = ["at", "id"]

    def __str__(self):
        # In the staff's time zone: the admin's inline shows this above each row (it showed UTC).
        return f"{self.kind} · {timezone.localtime(self.at):%d.%m.%Y %H:%M:%S}"


class ProviderHealth(models.Model):
    """The circuit breaker of one provider, shared by every worker process."""

    provider = models.CharField(_("provider"), max_length=32, primary_key=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    open_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("alerted at"), null=True, blank=True)
    # Set when the provider's account answered "out of credits" (KIE 402): submissions wait, orders stay
    # queued, until a credit check passes and clears it (or their deadlines refund them).
    billing_paused_at = models.DateTimeField(_("out of credits since"), null=True, blank=True)
    # A model's create call answered a configuration error (its API retired, a feature off): it rests until
    # then, and its orders are taken over by another model (VIDEO_FALLBACK) or wait.
    config_paused_until = models.DateTimeField(_("configuration failing, paused until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("provider health")
        verbose_name_plural = _("provider health")

    def __str__(self):
        return self.provider


class QueueGate(models.Model):
    """The one row every order's admission locks, so the queue's cap and places are decided one at a time."""

    def __str__(self):
        return "queue gate"


class OrderDelivery(models.Model):
    """What an order sends once as a whole (generations/closing.py): its one "after result" keyboard and
    the originals of its cards.

    The keyboard goes on the message of the generation that finds every other one of its order finished:
    `keyboard_on` is claimed NULL → its pk by a conditional UPDATE, so two finishing at once never both
    take it; when none could tell it was last, the closing takes it (CLOSING) and sends a short message.
    The closing is due (`due_at`) once the order is finished and its results delivered, and is tried like
    a result (generations/delivery.py): claimed with a lease, counted part by part, retried for a day.
    """

    CLOSING = 0  # keyboard_on: the closing message carries the keyboard

    order_id = models.UUIDField(primary_key=True)
    user = models.ForeignKey("accounts.TelegramUser", models.CASCADE, related_name="+")
    keyboard_on = models.PositiveBigIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    next_delivery_at = models.DateTimeField(null=True, blank=True)
    parts_sent = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order delivery")
        verbose_name_plural = _("order deliveries")
        indexes = [
            # The retry pass: the few closings due and not sent yet.
            models.Index(
                fields=["next_delivery_at"],
                name="order_delivery_undelivered",
                condition=Q(due_at__isnull=False, sent_at__isnull=True),
            ),
            # The watchdog's sweep of recent orders whose closing was never found due.
            models.Index(fields=["created_at"], name="order_delivery_open", condition=Q(due_at__isnull=True)),
        ]

    def __str__(self):
        return f"order {self.order_id}"
