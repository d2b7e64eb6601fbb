import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class CreditTransaction(models.Model):
    """The ledger: one row per balance change, append-only. Written only by billing.ledger."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        GENERATION_CHARGE = "generation_charge", "Generation charge"
        GENERATION_REFUND = "generation_refund", "Generation refund"
        MANUAL_GRANT = "manual_grant", "Manual grant"
        MANUAL_REVOKE = "manual_revoke", "Manual revoke"
        PAYMENT_REFUND = "payment_refund", "Payment refund"

    user = models.ForeignKey("accounts.TelegramUser", models.PROTECT, related_name="transactions")
    amount = models.BigIntegerField(help_text="Signed: positive adds credits, negative takes them.")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    balance_after = models.BigIntegerField()  # as wide as TelegramUser.balance
    generation = models.ForeignKey(
        "generations.Generation", models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    payment = models.ForeignKey("billing.Payment", models.PROTECT, null=True, blank=True, related_name="transactions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who acted, for manual kinds.",
    )
    reason = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["purchase", "generation_refund", "manual_grant"], amount__gt=0)
                | Q(kind__in=["generation_charge", "manual_revoke", "payment_refund"], amount__lt=0),
                name="credittransaction_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="credittransaction_balance_after_not_negative"
            ),
            # Besides the idempotency keys: a generation is charged once and refunded at most once,
            # and a payment is credited at most once, whatever key a caller invents.
            models.UniqueConstraint(
                fields=["generation", "kind"],
                condition=Q(kind__in=["generation_charge", "generation_refund"]),
                name="credittransaction_once_per_generation",
            ),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="purchase"), name="credittransaction_one_purchase_per_payment"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="credittransaction_user_recent")]

    def __str__(self):
        return f"{self.amount:+d} {self.get_kind_display()} → {self.balance_after}"


class CreditPack(models.Model):
    name = models.CharField(max_length=64)
    credits = models.PositiveIntegerField()
    price_rub = models.DecimalField("price, ₽", max_digits=10, decimal_places=2)
    price_stars = models.PositiveIntegerField("price, Stars")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the bot's list.")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="creditpack_credits_positive"),
            models.CheckConstraint(condition=Q(price_rub__gt=0), name="creditpack_price_rub_positive"),
            models.CheckConstraint(condition=Q(price_stars__gt=0), name="creditpack_price_stars_positive"),
        ]

    def __str__(self):
        return f"{self.name}: {self.credits} credits"


class PaymentQuerySet(models.QuerySet):
    def flagged(self):
        """Payments support must look at: flagged with a problem and not yet marked «Решено»."""
        return self.exclude(problem="").filter(resolved_at=None)


class Payment(models.Model):
    class Method(models.TextChoices):
        YOOKASSA = "yookassa", "YooKassa"
        STARS = "stars", "Telegram Stars"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        WAITING_FOR_CAPTURE = "waiting_for_capture", "Waiting for capture"
        SUCCEEDED = "succeeded", "Succeeded"
        CANCELED = "canceled", "Canceled"
        EXPIRED = "expired", "Expired"
        REFUNDED = "refunded", "Refunded"

    # Our id is the Idempotence-Key at YooKassa and the payload of a Stars invoice.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.TelegramUser", models.PROTECT, related_name="payments")
    pack = models.ForeignKey(CreditPack, models.PROTECT, null=True, blank=True, related_name="payments")
    method = models.CharField(max_length=16, choices=Method.choices)
    provider_payment_id = models.CharField(
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text="YooKassa payment id, or telegram_payment_charge_id for Stars.",
    )
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="RUB for YooKassa, XTR for Stars.")
    credits = models.PositiveIntegerField()
    confirmation_url = models.URLField(max_length=1000, blank=True)
    raw = models.JSONField("provider's last answer", default=dict, blank=True)
    cancellation_reason = models.CharField(max_length=64, blank=True)
    problem = models.TextField(blank=True, help_text="Why support must look at this payment (set when flagged).")
    # A flagged payment support has dealt with: when, by whom and how («Решено»). The problem text stays.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(
        "last asked YooKassa at",
        null=True,
        blank=True,
        help_text="By reconciliation; an old open payment is asked less often.",
    )
    # Claimed (NULL → now) by the task that sends the message, so a redelivered task sends nothing more.
    link_sent_at = models.DateTimeField(null=True, blank=True, help_text="The Pay link (or why none) was sent.")
    credited_sent_at = models.DateTimeField(null=True, blank=True, help_text="“Payment received” was sent.")
    canceled_sent_at = models.DateTimeField(null=True, blank=True, help_text="“Payment did not go through” was sent.")

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="payment_credits_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_status_created"),
            models.Index(fields=["user", "-created_at"], name="payment_user_recent"),
        ]
        permissions = [
            ("recheck_payment", "Can re-check payments with YooKassa"),
            ("refund_stars", "Can refund Stars payments"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount} {self.currency} ({self.get_status_display()})"


class Refund(models.Model):
    """A refund of a payment (YooKassa refund, or a Stars refund by support), recorded once."""

    provider_refund_id = models.CharField(max_length=128, unique=True)
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    credits_debited = models.PositiveIntegerField(default=0)
    shortfall = models.PositiveIntegerField(default=0, help_text="Credits already spent, so not taken back.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"refund {self.provider_refund_id} of {self.payment_id}"


class WebhookEvent(models.Model):
    """Inbox: every notification is stored before it is acted on, so none is lost or acted on twice."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=200, blank=True, help_text="The provider's event or object id.")
    event_type = models.CharField(max_length=64, blank=True)
    payload = models.TextField(help_text="The body as received, before parsing.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["provider", "event_id"], name="webhookevent_provider_event")]

    def __str__(self):
        return f"{self.provider} {self.event_type or '?'} {self.event_id}"
