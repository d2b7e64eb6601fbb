from django.db import models


class Sample(models.Model):
    """One Prometheus sample shared by every process on every machine: a counter each process adds its
    counts to, or a gauge a schedule sets (KIE credits, ledger mismatches)."""

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=200, blank=True, help_text='As exposed, e.g. endpoint="recordInfo",le="0.5".')
    value = models.FloatField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="metrics_sample_unique")]

    def __str__(self):
        return f"{self.name}{{{self.labels}}} {self.value:g}"
