"""Take-over: a queued video whose model is paused is made by another enabled model (VIDEO_FALLBACK).

Only a generation that never reached the provider is switched (never tried: a create that timed out may have
made a task; no create started, no task id), by one conditional UPDATE, so two workers switch it once and a
task that may exist is never created twice. It
keeps the price the seller confirmed, and is taken over at most once: a second model failing it too is
most likely the account (a bad key answers 401 for every model), and bouncing between models would never
end. Images never fall back. Pauses (generations/breaker.py): a model's breaker, a model's configuration
error, the account out of credits (every model of it, so never a take-over). docs/video-models.md.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from generations import breaker, video_models
from generations.models import Generation, GenerationEvent

log = logging.getLogger(__name__)


def allowed(generation, *, uncounted=0):
    """Whether this generation may be taken over at all: a video, fallback on, never taken over before, never
    tried (`attempts` counts every try that may have reached the provider: a create that timed out may have made
    a task there, so such a row retries on its own model, never on another). `uncounted`: tries that go back
    uncounted (the one whose create was refused for configuration, still on the row)."""
    return (
        settings.VIDEO_FALLBACK
        and generation.kind == Generation.Kind.VIDEO
        and generation.model == generation.ordered_model
        and generation.attempts - uncounted == 0
        and len(video_models.enabled()) > 1
    )


def target(provider, generation, *, uncounted=0):
    """The enabled model that takes this generation over now (the first not held, in VIDEO_MODELS order), or None."""
    if not allowed(generation, uncounted=uncounted):
        return None
    return next(
        (
            model
            for model in video_models.enabled()
            if model.key != generation.model and not breaker.holds(provider, model.key)
        ),
        None,
    )


def take_over(generation, model, reasons):
    """Switch a queued generation that never reached the provider to `model`. True for the one call that did."""
    seconds = model.nearest_seconds(generation.seconds)
    # The prompt written for the first model (its duration, its length limit) is dropped: the new one gets its own.
    with transaction.atomic():
        switched = Generation.objects.filter(
            pk=generation.pk,
            status=Generation.Status.QUEUED,
            model=generation.model,
            ordered_model=F("model"),
            attempts=0,
            create_started_at__isnull=True,
            provider_task_id="",
        ).update(model=model.key, seconds=seconds, final_prompt="", updated_at=timezone.now())
        if switched:
            GenerationEvent.objects.create(
                generation_id=generation.pk,
                kind="takeover",
                detail=f"taken over by {model.key} ({seconds} s): {generation.model} paused ({', '.join(reasons)})",
            )
    if switched:
        log.info("generation %s: taken over by %s from %s", generation.pk, model.key, generation.model)
    return bool(switched)


def dispatchable(provider, models):
    """The filter of due queued rows worth handing out, given the `models` they are of: rows of models that go,
    and rows a take-over can serve (a held video model's, not taken over yet, while another enabled model goes).
    None when nothing is."""
    going = {model for model in models if not breaker.holds(provider, model)}
    servable = Q(model__in=going) if going else None
    held = {model for model in models - going if model in video_models.CATALOG}
    if held and settings.VIDEO_FALLBACK and len(video_models.enabled()) > 1:
        if any(not breaker.holds(provider, model.key) for model in video_models.enabled()):
            taken = Q(model__in=held, kind=Generation.Kind.VIDEO, model=F("ordered_model"), attempts=0)
            servable = taken if servable is None else servable | taken
    return servable
