from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def language_for(language_code):
    """The language the bot speaks: English for Telegram's `en*`, Russian otherwise."""
    return "en" if (language_code or "").lower().startswith("en") else "ru"


class TelegramUser(models.Model):
    """A customer, known by their Telegram account. The balance moves only through billing.ledger."""

    telegram_id = models.BigIntegerField("Telegram ID", unique=True)
    username = models.CharField(_("username"), max_length=64, blank=True)
    first_name = models.CharField(_("first name"), max_length=128, blank=True)
    last_name = models.CharField(_("last name"), max_length=128, blank=True)
    language_code = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        help_text=_("As Telegram reports it; the bot speaks English for en*, Russian otherwise."),
    )
    email = models.EmailField(
        _("receipt email"),
        blank=True,
        help_text=_("For 54-FZ receipts; asked once by the bot, changeable with /email."),
    )
    # 64 bits: no sane sum of grants and purchases comes near its end (billing.ledger refuses one that would).
    balance = models.BigIntegerField(
        _("balance"), default=0, editable=False, help_text=_("Credits. Changed only through the ledger.")
    )
    # Where their cards go (generations.formats): asked once, remembered, changeable.
    card_format = models.CharField(_("card format"), max_length=16, blank=True)
    # The video model they last chose (generations.video_models), offered first next time.
    video_model = models.CharField(_("video model"), max_length=16, blank=True)
    is_blocked = models.BooleanField(_("blocked by staff"), default=False)
    bot_blocked_at = models.DateTimeField(_("blocked the bot at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # Growth: the user's own invite code (t.me/<bot>?start=ref_<code>, made at first /invite), who invited them
    # and the campaign link they came by (/start src_<campaign>), both set once, at first contact.
    referral_code = models.CharField(_("invite code"), max_length=16, unique=True, null=True, blank=True)
    referred_by = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="invitees", verbose_name=_("invited by")
    )
    campaign = models.CharField(_("campaign"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Telegram user")
        verbose_name_plural = _("Telegram users")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="telegramuser_balance_not_negative"),
            models.CheckConstraint(condition=~Q(referred_by=models.F("pk")), name="telegramuser_not_self_invited"),
        ]
        indexes = [models.Index(fields=["username"], name="telegramuser_username")]
        # The admin's support actions; `manage.py setup_roles` gives them to the Support group.
        permissions = [
            ("grant_credits", "Can grant credits"),
            ("revoke_credits", "Can revoke credits"),
            ("block_user", "Can block and unblock users"),
            ("message_user", "Can message users through the bot"),
        ]

    def __str__(self):
        handle = f"@{self.username}" if self.username else self.full_name or "?"
        return f"{handle} ({self.telegram_id})"

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def language(self):
        return language_for(self.language_code)
