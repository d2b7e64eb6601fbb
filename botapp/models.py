from django.db import models


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
