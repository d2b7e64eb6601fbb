from django.db import models
from django.utils import timezone


class Lease(models.Model):
    """A named lease held by one process at a time (the batch poller, schedules that must not overlap)."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class RateSlot(models.Model):
    """The next free moment of a shared rate limit (overall, or one chat's), reserved atomically."""

    key = models.CharField(max_length=64, primary_key=True)
    next_at = models.FloatField(default=0.0, help_text="Unix time.")

    def __str__(self):
        return self.key


class Alert(models.Model):
    """An open incident operators were told about; its row makes the alert once per incident."""

    key = models.CharField(max_length=64, primary_key=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(blank=True)

    def __str__(self):
        return self.key


class Heartbeat(models.Model):
    """When a periodic job last ran (watchdog, poller, worker): for /readyz and the admin dashboard."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name):
        cls.objects.update_or_create(name=name, defaults={"at": timezone.now()})
