from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Lease(models.Model):
    """A named lease held by one process at a time (the batch poller, schedules that must not overlap)."""

    name = models.CharField(_("lease name"), max_length=64, primary_key=True)
    holder = models.CharField(_("holder"), max_length=128, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self):
        return self.name


class RateSlot(models.Model):
    """The next free moment of a shared rate limit (overall, or one chat's), reserved atomically."""

    key = models.CharField(_("limit key"), max_length=64, primary_key=True)
    next_at = models.FloatField(_("next free moment"), default=0.0, help_text=_("Unix time."))

    class Meta:
        verbose_name = _("rate limit slot")
        verbose_name_plural = _("rate limit slots")

    def __str__(self):
        return self.key


class Alert(models.Model):
    """An open incident operators were told about; its row makes the alert once per incident."""

    key = models.CharField(_("alert key"), max_length=64, primary_key=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    text = models.TextField(_("alert text"), blank=True)

    class Meta:
        verbose_name = _("open alert")
        verbose_name_plural = _("open alerts")

    def __str__(self):
        return self.key


class Heartbeat(models.Model):
    """When a periodic job last ran (watchdog, poller, worker): for /readyz and the admin dashboard."""

    name = models.CharField(_("job name"), max_length=64, primary_key=True)
    at = models.DateTimeField(_("last run"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name):
        cls.objects.update_or_create(name=name, defaults={"at": timezone.now()})
