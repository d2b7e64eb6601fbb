from django.db import models
from django.utils.translation import gettext_lazy as _

from generations import storage


class ProcessedUpdate(models.Model):
    """A Telegram update_id seen once; the unique constraint stops redeliveries."""

    update_id = models.BigIntegerField(_("update id"), unique=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("processed update")
        verbose_name_plural = _("processed updates")

    def __str__(self):
        return str(self.update_id)


class FlowState(models.Model):
    """Where a user is in the bot's flow and the draft of their current request.

    Kept in the database (not in process memory) so that every step survives a restart and a switch
    of web process; its row is locked while one of the user's updates is handled.
    """

    # Each step the flow has (botapp/steps.py STEPS, "email" from botapp/purchase.py, "promo" from
    # botapp/promo_steps.py, "idle" between requests) in the words support uses with the seller.
    STEP_NAMES = {
        "idle": _("at the menu"),
        "email": _("entering the receipt email"),
        "promo": _("entering a promo code"),
        "kind": _("choosing a video or a card"),
        "photo": _("waiting for the photo"),
        "description": _("describing the product"),
        "template": _("choosing a template"),
        "points": _("checking the card's text"),
        "wishes": _("writing wishes or a prompt"),
        "format": _("choosing the card format"),
        "seconds": _("choosing the video length"),
        "count": _("choosing how many"),
        "confirm": _("confirming the order"),
        "model": _("choosing the video model"),
    }

    user = models.OneToOneField(
        "accounts.TelegramUser", models.CASCADE, primary_key=True, related_name="flow", verbose_name=_("user")
    )
    step = models.CharField(_("step"), max_length=32, default="idle")
    draft = models.JSONField(_("draft"), default=dict, blank=True)
    # Flood control: updates counted in a one-minute window, and whether "slow down" was said in it.
    window_started_at = models.DateTimeField(_("flood window started"), null=True, blank=True)
    window_count = models.PositiveIntegerField(_("updates in the window"), default=0)
    slowed_down = models.BooleanField(_("told to slow down"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("flow state")
        verbose_name_plural = _("flow states")

    def __str__(self):
        return f"{self.user_id}: {self.step}"

    @property
    def step_name(self):
        return self.STEP_NAMES.get(self.step, self.step)


class Broadcast(models.Model):
    """A message to every user who has not blocked the bot, sent in order of user id.

    Its position is saved after every user, so a stopped broadcast resumes after the last user done:
    one open broadcast per text, found by the text's hash.
    """

    text = models.TextField(_("text"))
    # A 4096-character text is too long for a unique btree index; its hash is not.
    text_hash = models.CharField(_("text hash"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_user_id = models.BigIntegerField(
        _("last user"), default=0, help_text=_("The last user done; a resumed run starts after it.")
    )
    sent = models.PositiveIntegerField(_("sent"), default=0)
    failed = models.PositiveIntegerField(_("not delivered"), default=0)
    skipped = models.PositiveIntegerField(
        _("skipped"), default=0, help_text=_("Users found to have blocked the bot while sending.")
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The process sending it, renewed with every user: a second run of the same text is refused
    # rather than sending everyone a second copy.
    claimed_by = models.CharField(_("sending process"), max_length=128, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        constraints = [
            models.UniqueConstraint(
                fields=["text_hash"], condition=models.Q(finished_at__isnull=True), name="broadcast_one_open_per_text"
            ),
        ]
        indexes = [models.Index(fields=["text_hash"], name="broadcast_text")]

    def __str__(self):
        return f"broadcast #{self.pk}"


def example_upload_to(example, filename):
    return storage.private_name("examples", storage.extension_of(filename, "bin"))


class Example(models.Model):
    """A result shown under «Examples»: operators upload and publish them in the admin.

    Stored like results, under a random name, and shown to staff only through a permission check.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image card")
        VIDEO = "video", _("Video")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(
        _("file"), upload_to=example_upload_to, help_text=_("A JPEG or PNG card up to 10 MB, an MP4 up to 50 MB.")
    )
    caption = models.CharField(_("caption"), max_length=200, blank=True, help_text=_("Shown under it, in Russian."))
    caption_en = models.CharField(
        _("caption in English"),
        max_length=200,
        blank=True,
        help_text=_("For English-speaking sellers; empty: the Russian one."),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in the bot: lowest first.")
    )
    is_published = models.BooleanField(_("published"), default=False, help_text=_("Only published examples are shown."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("example")
        verbose_name_plural = _("examples")

    def __str__(self):
        return self.caption or f"{self.get_kind_display()} #{self.pk}"

    def caption_in(self, language):
        return self.caption_en if language == "en" and self.caption_en else self.caption
