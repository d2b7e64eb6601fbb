from django.db import models

from generations import storage


class ProcessedUpdate(models.Model):
    """A Telegram update_id seen once; the unique constraint stops redeliveries."""

    update_id = models.BigIntegerField(unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return str(self.update_id)


class FlowState(models.Model):
    """Where a user is in the bot's flow and the draft of their current request.

    Kept in the database (not in process memory) so that every step survives a restart and a switch
    of web process; its row is locked while one of the user's updates is handled.
    """

    user = models.OneToOneField("accounts.TelegramUser", models.CASCADE, primary_key=True, related_name="flow")
    step = models.CharField(max_length=32, default="idle")
    draft = models.JSONField(default=dict, blank=True)
    # Flood control: updates counted in a one-minute window, and whether "slow down" was said in it.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)
    slowed_down = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user_id}: {self.step}"


class Broadcast(models.Model):
    """A message to every user who has not blocked the bot, sent in order of user id.

    Its position is saved after every user, so a stopped broadcast resumes after the last user done:
    one open broadcast per text, found by the text's hash.
    """

    text = models.TextField()
    # A 4096-character text is too long for a unique btree index; its hash is not.
    text_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_user_id = models.BigIntegerField(default=0, help_text="The last user done; a resumed run starts after it.")
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Users found to have blocked the bot while sending.")
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process sending it, renewed with every user: a second run of the same text is refused
    # rather than sending everyone a second copy.
    claimed_by = models.CharField(max_length=128, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
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
        IMAGE = "image", "Image card"
        VIDEO = "video", "Video"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(
        upload_to=example_upload_to, help_text="A JPEG or PNG card up to 10 MB, an MP4 up to 50 MB."
    )
    caption = models.CharField(max_length=200, blank=True, help_text="Shown under it, in Russian.")
    caption_en = models.CharField(
        "caption in English",
        max_length=200,
        blank=True,
        help_text="For English-speaking sellers; empty: the Russian one.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the bot: lowest first.")
    is_published = models.BooleanField("published", default=False, help_text="Only published examples are shown.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.caption or f"{self.get_kind_display()} #{self.pk}"

    def caption_in(self, language):
        return self.caption_en if language == "en" and self.caption_en else self.caption
