from datetime import timedelta

import pytest
from django.utils import timezone

from botapp.models import ProcessedUpdate
from botapp.tasks import prune_update_ids


@pytest.mark.django_db
def test_it_forgets_only_old_update_ids(settings):
    settings.UPDATE_ID_TTL_DAYS = 7
    old = ProcessedUpdate.objects.create(update_id=1)
    ProcessedUpdate.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=8))
    ProcessedUpdate.objects.create(update_id=2)

    assert prune_update_ids() == 1

    assert list(ProcessedUpdate.objects.values_list("update_id", flat=True)) == [2]
