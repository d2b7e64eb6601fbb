import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class CreditTransaction(models.Model):
    """The ledger: one row per balance change, append-only. Written only by billing.ledger."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        GENERATION_CHARGE = "generation_charge", _("Generation charge")
        GENERATION_REFUND = "generation_refund", _("Generation refund")
        MANUAL_GRANT = "manual_grant", _("Manual grant")
        MANUAL_REVOKE = "manual_revoke", _("Manual revoke")
        PAYMENT_REFUND = "payment_refund", _("Payment refund")
        REFERRAL_WELCOME = "referral_welcome", _("Invited user's welcome")
        REFERRAL_REWARD = "referral_reward", _("Referral reward")
        REFERRAL_REWARD_TAKEN_BACK = "referral_reward_taken_back", _("Referral reward taken back")
        PROMO = "promo", _("Promo code")

    user = models.ForeignKey(
        "accounts.TelegramUser", models.PROTECT, related_name="transactions", verbose_name=_("user")
    )
    amount = models.BigIntegerField(_("amount"), help_text=_("Signed: positive adds credits, negative takes them."))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    balance_after = models.BigIntegerField(_("balance after"))  # as wide as TelegramUser.balance
    generation = models.ForeignKey(
        "generations.Generation",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        verbose_name=_("generation"),
    )
    payment = models.ForeignKey(
        "billing.Payment",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        verbose_name=_("payment"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
        help_text=_("The staff member who acted, for manual kinds."),
    )
    reason = models.TextField(_("reason"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "purchase",
                        "generation_refund",
                        "manual_grant",
                        "referral_welcome",
                        "referral_reward",
                        "promo",
                    ],
                    amount__gt=0,
                )
                | Q(
                    kind__in=["generation_charge", "manual_revoke", "payment_refund", "referral_reward_taken_back"],
                    amount__lt=0,
                ),
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
            # A payment rewards its buyer's referrer once, and that reward is taken back at most once.
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=Q(kind__in=["referral_reward", "referral_reward_taken_back"]),
                name="credittransaction_one_referral_reward_per_payment",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="credittransaction_user_recent")]

    def __str__(self):
        return f"{self.amount:+d} {self.get_kind_display()} → {self.balance_after}"


class CreditPack(models.Model):
    name = models.CharField(_("name"), max_length=64)
    credits = models.PositiveIntegerField(_("credits"))
    price_rub = models.DecimalField(_("price, ₽"), max_digits=10, decimal_places=2)
    price_stars = models.PositiveIntegerField(_("price, Stars"))
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Order in the bot's list."))

    class Meta:
        verbose_name = _("credit pack")
        verbose_name_plural = _("credit packs")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="creditpack_credits_positive"),
            models.CheckConstraint(condition=Q(price_rub__gt=0), name="creditpack_price_rub_positive"),
            models.CheckConstraint(condition=Q(price_stars__gt=0), name="creditpack_price_stars_positive"),
        ]

    def __str__(self):
        return gettext("%(name)s: %(credits)s credits") % {"name": self.name, "credits": self.credits}


ABANDONED = Q(status="expired", paid_at=None)


class PaymentQuerySet(models.QuerySet):
    def flagged(self):
        """Payments support must look at: flagged with a problem and not yet marked «Решено». An abandoned
        invoice is no problem, whatever was noted on it."""
        return self.exclude(problem="").filter(resolved_at=None).exclude(ABANDONED)

    def abandoned(self):
        """Invoices nobody paid before they expired (a Stars invoice past STARS_INVOICE_HOURS, a YooKassa
        payment that was never created there)."""
        return self.filter(ABANDONED)


class Payment(models.Model):
    class Method(models.TextChoices):
        YOOKASSA = "yookassa", _("YooKassa")
        STARS = "stars", _("Telegram Stars")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        WAITING_FOR_CAPTURE = "waiting_for_capture", _("Waiting for capture")
        SUCCEEDED = "succeeded", _("Succeeded")
        CANCELED = "canceled", _("Canceled")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")

    # Our id is the Idempotence-Key at YooKassa and the payload of a Stars invoice.
    id = models.UUIDField("ID", primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.TelegramUser", models.PROTECT, related_name="payments", verbose_name=_("user"))
    pack = models.ForeignKey(
        CreditPack, models.PROTECT, null=True, blank=True, related_name="payments", verbose_name=_("pack")
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    provider_payment_id = models.CharField(
        _("provider's payment id"),
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text=_("YooKassa payment id, or telegram_payment_charge_id for Stars."),
    )
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, help_text=_("RUB for YooKassa, XTR for Stars."))
    credits = models.PositiveIntegerField(_("credits"))
    confirmation_url = models.URLField(_("payment page"), max_length=1000, blank=True)
    raw = models.JSONField(_("provider's last answer"), default=dict, blank=True)
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=64, blank=True)
    problem = models.TextField(
        _("problem"), blank=True, help_text=_("Why support must look at this payment (set when flagged).")
    )
    # A flagged payment support has dealt with: when, by whom and how («Решено»). The problem text stays.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("resolved by")
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    checked_at = models.DateTimeField(
        _("last asked YooKassa at"),
        null=True,
        blank=True,
        help_text=_("By reconciliation; an old open payment is asked less often."),
    )
    # Claimed (NULL → now) by the task that sends the message, so a redelivered task sends nothing more.
    link_sent_at = models.DateTimeField(
        _("link sent at"), null=True, blank=True, help_text=_("The Pay link (or why none) was sent.")
    )
    credited_sent_at = models.DateTimeField(
        _("“payment received” sent at"), null=True, blank=True, help_text=_("“Payment received” was sent.")
    )
    canceled_sent_at = models.DateTimeField(
        _("“did not go through” sent at"),
        null=True,
        blank=True,
        help_text=_("“Payment did not go through” was sent."),
    )
    # The buyer's referrer told of their reward for this payment, and of its take-back on a refund: once each.
    referral_reward_sent_at = models.DateTimeField(_("referral reward message sent at"), null=True, blank=True)
    referral_taken_back_sent_at = models.DateTimeField(_("referral take-back message sent at"), null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
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
            ("recheck_payment", _("Can re-check payments with YooKassa")),
            ("refund_stars", _("Can refund Stars payments")),
            ("credit_payment", _("Can credit a payment that did not credit itself")),
            ("resolve_payment", _("Can mark a flagged payment resolved")),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount} {self.currency} ({self.get_status_display()})"


class Refund(models.Model):
    """A refund of a payment (YooKassa refund, or a Stars refund by support), recorded once."""

    provider_refund_id = models.CharField(_("provider's refund id"), max_length=128, unique=True)
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    credits_debited = models.PositiveIntegerField(_("credits taken back"), default=0)
    shortfall = models.PositiveIntegerField(
        _("shortfall"), default=0, help_text=_("Credits already spent, so not taken back.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self):
        return gettext("refund %(refund)s of %(payment)s") % {
            "refund": self.provider_refund_id,
            "payment": self.payment_id,
        }


class WebhookEvent(models.Model):
    """Inbox: every notification is stored before it is acted on, so none is lost or acted on twice."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    provider = models.CharField(_("provider"), max_length=32)
    event_id = models.CharField(
        _("event id"), max_length=200, blank=True, help_text=_("The provider's event or object id.")
    )
    event_type = models.CharField(_("event type"), max_length=64, blank=True)
    payload = models.TextField(_("payload"), help_text=_("The body as received, before parsing."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["provider", "event_id"], name="webhookevent_provider_event")]

    def __str__(self):
        return f"{self.provider} {self.event_type or '?'} {self.event_id}"


class PromoCode(models.Model):
    """Credits for whoever types the code, within its limits; redeemed through billing.promo, once per user."""

    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("Stored in capitals; typed in any case.")
    )
    credits = models.PositiveIntegerField(_("credits"))
    max_redemptions = models.PositiveIntegerField(
        _("redemptions at most"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    # Counted up by a conditional UPDATE (redeemed < max_redemptions): the last redemption goes to one user.
    redeemed = models.PositiveIntegerField(_("redeemed"), default=0, editable=False)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    new_users_only = models.BooleanField(
        _("new users only"), default=False, help_text=_("Only users who have never paid or ordered.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promo code")
        verbose_name_plural = _("promo codes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="promocode_credits_positive"),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(redeemed__lte=models.F("max_redemptions")),
                name="promocode_redeemed_within_limit",
            ),
        ]

    def __str__(self):
        return self.code


class PromoRedemption(models.Model):
    """One user's use of one promo code: unique, so a user redeeming twice at once gets it once."""

    promo = models.ForeignKey(PromoCode, models.PROTECT, related_name="redemptions", verbose_name=_("promo code"))
    user = models.ForeignKey(
        "accounts.TelegramUser", models.PROTECT, related_name="promo_redemptions", verbose_name=_("user")
    )
    credits = models.PositiveIntegerField(_("credits"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promo redemption")
        verbose_name_plural = _("promo redemptions")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["promo", "user"], name="promoredemption_once_per_user")]

    def __str__(self):
        return f"{self.promo} → {self.user}"


class PromoAttempt(models.Model):
    """A wrong promo code typed by a user: counted per hour against PROMO_TRIES_PER_HOUR (guessing)."""

    user = models.ForeignKey("accounts.TelegramUser", models.CASCADE, related_name="+", verbose_name=_("user"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wrong promo code")
        verbose_name_plural = _("wrong promo codes")
        indexes = [models.Index(fields=["user", "at"], name="promoattempt_user_at")]

    def __str__(self):
        return f"{self.user_id} at {self.at:%Y-%m-%d %H:%M}"
