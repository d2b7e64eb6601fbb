from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from botapp.models import ProcessedUpdate


def prune_update_ids():
    """Forget update ids older than UPDATE_ID_TTL_DAYS: Telegram drops undelivered updates after 24 h."""
    cutoff = timezone.now() - timedelta(days=settings.UPDATE_ID_TTL_DAYS)
    deleted, _ = ProcessedUpdate.objects.filter(received_at__lt=cutoff).delete()
    return deleted
