"""Cleanup (hourly): old results and product photos deleted, old update ids and task records pruned, and raw
provider payloads (webhook bodies, payment answers, generation events) dropped after PAYLOAD_TTL_DAYS."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django_q.models import Task

from billing.models import Payment, PromoAttempt, WebhookEvent
from botapp.models import FlowState, ProcessedUpdate
from generations.models import Generation, GenerationEvent
from miniapp import thumbs

log = logging.getLogger(__name__)

TASK_RECORDS_DAYS = 7
# Wrong promo codes count for an hour (billing/promo.py); a day keeps them for a support question.
PROMO_ATTEMPTS_DAYS = 1
LOCAL_PROVIDER_DAYS = 1
LOCAL_PROVIDER_DIRS = ("local-provider/uploads", "local-provider/results", "local-provider/tasks")
REFERENCES_DIR = "references"


def cutoffs(now):
    """{what: the moment before which it goes}: results finished, product photos taken, update ids received,
    task records stopped, raw payloads received or last changed."""
    return {
        "results": now - timedelta(days=settings.RESULT_TTL_DAYS),
        "product photos": now - timedelta(days=settings.REFERENCE_TTL_DAYS),
        "update ids": now - timedelta(days=settings.UPDATE_ID_TTL_DAYS),
        "task records": now - timedelta(days=TASK_RECORDS_DAYS),
        "wrong promo codes": now - timedelta(days=PROMO_ATTEMPTS_DAYS),
        "raw payloads": now - timedelta(days=settings.PAYLOAD_TTL_DAYS),
    }


def run(*, dry_run=False, now=None):
    """Returns what was (or, with dry_run, would be) deleted: {what: count}."""
    now = now or timezone.now()
    before = cutoffs(now)
    results = Generation.objects.filter(finished_at__lt=before["results"]).exclude(result_file="")
    references = Generation.objects.filter(created_at__lt=before["product photos"]).exclude(
        reference_image="", reference_file_id=""
    )
    updates = ProcessedUpdate.objects.filter(received_at__lt=before["update ids"])
    tasks = Task.objects.filter(stopped__lt=before["task records"])
    promo_attempts = PromoAttempt.objects.filter(at__lt=before["wrong promo codes"])
    # Raw payloads carry payers' and sellers' details; the rows that say what happened (the payment, its status
    # and amount, the event's id and type) stay, only the bodies go.
    payloads_before = before["raw payloads"]
    webhook_bodies = WebhookEvent.objects.filter(received_at__lt=payloads_before).exclude(payload="")
    payment_answers = Payment.objects.filter(updated_at__lt=payloads_before).exclude(raw={})
    events = GenerationEvent.objects.filter(at__lt=payloads_before)
    counts = {
        "result files": results.count(),
        "product photos": references.count(),
        "update ids": updates.count(),
        "task records": tasks.count(),
        "wrong promo codes": promo_attempts.count(),
        "offline provider files": len(_old_local_files(now)),
        "unused product photos": len(_unused_photos(now)),
        "webhook bodies": webhook_bodies.count(),
        "payment answers": payment_answers.count(),
        "generation events": events.count(),
    }
    if dry_run:
        return counts
    _delete_files(results, "result_file")
    _delete_files(references, "reference_image")
    references.update(reference_image="", reference_file_id="")
    results.update(result_file="")
    updates.delete()
    tasks.delete()
    promo_attempts.delete()
    webhook_bodies.update(payload="")
    # A queryset update leaves updated_at alone: the payment still says when it last changed.
    payment_answers.update(raw={})
    events.delete()
    for name in _old_local_files(now) + _unused_photos(now):
        default_storage.delete(name)
    log.info("cleanup: %s", counts)
    return counts


def _delete_files(generations, field):
    # Generations of one order share a photo: delete each stored file once.
    names = set(generations.exclude(**{field: ""}).values_list(field, flat=True))
    for name in names:
        default_storage.delete(name)
        # The Mini App's thumbnail of it, if one was made, goes with it (miniapp/thumbs.py).
        default_storage.delete(thumbs.thumb_name(name))


def _unused_photos(now):
    """Photos the bot checked and stored (flat under references/) that no order took and no draft holds:
    the seller sent another one, cancelled, or never confirmed."""
    cutoff = now - timedelta(days=settings.REFERENCE_TTL_DAYS)
    try:
        _, files = default_storage.listdir(REFERENCES_DIR)
    except FileNotFoundError:
        return []
    old = [
        f"{REFERENCES_DIR}/{filename}"
        for filename in files
        if default_storage.get_modified_time(f"{REFERENCES_DIR}/{filename}") < cutoff
    ]
    used = set(Generation.objects.filter(reference_image__in=old).values_list("reference_image", flat=True))
    used |= set(FlowState.objects.filter(draft__image__in=old).values_list("draft__image", flat=True))
    return [name for name in old if name not in used]


def _old_local_files(now):
    cutoff = now - timedelta(days=LOCAL_PROVIDER_DAYS)
    old = []
    for directory in LOCAL_PROVIDER_DIRS:
        try:
            _, files = default_storage.listdir(directory)
        except FileNotFoundError:
            continue
        for filename in files:
            name = f"{directory}/{filename}"
            if default_storage.get_modified_time(name) < cutoff:
                old.append(name)
    return old
