"""The generation state machine: queued → submitting → processing → completed | failed | cancelled.

Every step is claimed with a conditional UPDATE on the status, so a duplicate task delivery, a second
worker or a restart never creates a second provider task, a second refund or a second message. No
worker waits for a generation: `submit` creates the provider task and returns; the poller (or a
callback) notices the result; `finish` stores and sends it.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from billing import ledger
from generations import breaker, callbacks, formats, inputs, media, notify, results, storage, takeover, video_models
from generations.models import Generation, GenerationEvent
from generations.providers import get_provider
from generations.providers.base import (
    BILLING,
    CONFIGURATION,
    RATE_LIMIT,
    TEMPORARY,
    ProviderError,
    TaskState,
    classify_failure,
)
from messaging import alerts

log = logging.getLogger(__name__)
Status = Generation.Status

MAX_ATTEMPTS = 3
RETRY_BASE_SECONDS = 30  # 30 s, 60 s, … between attempts after a temporary failure
RATE_LIMIT_SECONDS = 20  # a rate-limited submit waits this long (plus jitter), attempt not counted
SUBMIT_LEASE = timedelta(minutes=2)  # a queued row handed to a task is offered again after this
FIRST_POLL = timedelta(seconds=2.5)
# After 2 minutes a task is read again within this share of its age, 10 to 30 s (see _poll_interval).
LATE_POLL_SHARE, LATE_POLL_SHORTEST, LATE_POLL_LONGEST = 0.08, 10.0, 30.0
MAX_POLL_ERRORS = 10  # failed reads in a row before a generation whose answers are junk fails
POLL_ERROR_BACKOFF = timedelta(seconds=5)  # 5 s, 10 s, … after each failed read, at most POLL_ERROR_MAX_DELAY
POLL_ERROR_MAX_DELAY = timedelta(minutes=2)
MAX_FINISH_ATTEMPTS = 5  # downloads of a result that failed (bad URL, bad media, 5xx) before it fails
FINISH_BACKOFF = timedelta(minutes=1)  # 1, 2, 4, 8 min between finish attempts
FINISH_LEASE = timedelta(minutes=5)  # a finish handed out (or running) is handed out again after this
# Configuration answers that are the model's, not one order's: a bad key, no access, the API gone, a feature
# off; None is our own (no adapter for the model).
MODEL_CONFIGURATION_CODES = (401, 403, 404, 505, None)


def enqueue(generation_ids):
    for generation_id in generation_ids:
        async_task("generations.tasks.submit", generation_id, task_name=f"submit-{generation_id}")


def dispatch_due(limit=200):
    """Hand due queued generations (retries, tasks lost by a broker) to workers. Idempotent.

    Rows of a held model stay (they are not handed out to be turned away), unless a take-over can serve them."""
    now = timezone.now()
    due = Generation.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
    servable = takeover.dispatchable(get_provider().name, set(due.order_by().values_list("model", flat=True)))
    if servable is None:
        return 0
    ids = list(due.filter(servable).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    Generation.objects.filter(pk__in=ids, status=Status.QUEUED).update(next_attempt_at=now + SUBMIT_LEASE)
    enqueue(ids)
    return len(ids)


def submit(*, generation_id):
    """Write the prompt, upload the photo, create the provider task: queued → submitting → processing.

    A generation whose model is held waits in the queue, or is taken over by another model (generations.takeover)."""
    provider = get_provider()
    generation = Generation.objects.select_related("user").filter(pk=generation_id).first()
    if generation is None or generation.status != Status.QUEUED:
        return "not queued"
    held = breaker.why_held(provider.name, generation.model)
    if held:
        model = takeover.target(provider.name, generation)
        if model is None:
            return "provider paused"
        if not takeover.take_over(generation, model, held):
            return "claimed elsewhere"
        generation.refresh_from_db()
    now = timezone.now()
    # The model checked above: a row another worker took over meanwhile is that worker's to submit.
    claimed = Generation.objects.filter(pk=generation_id, status=Status.QUEUED, model=generation.model).update(
        status=Status.SUBMITTING,
        attempts=F("attempts") + 1,
        provider=provider.name,
        submitted_at=now,
        create_started_at=None,
        timeout_at=now + _timeout(generation),
        updated_at=now,
    )
    if not claimed:
        return "claimed elsewhere"
    generation.refresh_from_db()
    _event(generation, "submit", f"attempt {generation.attempts} on {provider.name}")
    try:
        task_id = _create_task(generation, provider)
    except _Cancelled:
        return "cancelled meanwhile"
    except ProviderError as error:
        return _submit_failed(generation, error)
    except Exception as error:  # noqa: BLE001  (an unexpected failure is retried like a temporary one)
        log.exception("generation %s: submit failed", generation_id)
        return _submit_failed(generation, ProviderError(TEMPORARY, f"{type(error).__name__}: {error}"[:500]))
    breaker.record_success(provider.name, generation.model)
    moved = Generation.objects.filter(pk=generation_id, status=Status.SUBMITTING).update(
        status=Status.PROCESSING,
        provider_task_id=task_id,
        next_poll_at=timezone.now() + FIRST_POLL,
        updated_at=timezone.now(),
    )
    if not moved:
        # Cancelled while we talked to the provider: the task id is kept for support, its result discarded.
        Generation.objects.filter(pk=generation_id).update(provider_task_id=task_id)
        return "cancelled meanwhile"
    _event(generation, "task", task_id)
    log.info("generation %s: provider task %s created", generation_id, task_id)
    return "processing"


def _create_task(generation, provider):
    prompt = inputs.prompt(generation, provider)
    photo = inputs.reference_photo(generation)
    image_url = provider.upload_reference(content=photo, filename=f"product_{generation.pk}.jpg")
    # From here the provider may hold a task we can't see if this process dies: see the watchdog.
    if not Generation.objects.filter(pk=generation.pk, status=Status.SUBMITTING).update(
        create_started_at=timezone.now()
    ):
        raise _Cancelled
    callback = callbacks.url_for(generation)
    return provider.create_task(
        kind=generation.kind,
        prompt=prompt,
        image_url=image_url,
        callback_url=callback,
        title=_provider_title(generation),
        aspect=formats.card_format(generation.card_format).aspect if generation.kind == Generation.Kind.IMAGE else None,
        seconds=generation.seconds,
        model=generation.model,
    )


def _provider_title(generation):
    # An infographic's and a cover's text is typeset by us (generations.cards, generations.cover): a provider
    # that draws titles must not, or the result would carry it twice.
    if generation.template in ("infographic", "ozon_cover"):
        return ""
    return generation.title or generation.description.splitlines()[0][:80]


def _submit_failed(generation, error):
    _event(generation, "error", f"{error.error_class}: {error}")
    log.warning("generation %s: submit failed, %s: %s", generation.pk, error.error_class, error)
    if error.error_class == RATE_LIMIT:
        delay = timedelta(seconds=RATE_LIMIT_SECONDS + random.uniform(0, RATE_LIMIT_SECONDS))
        _requeue(generation, Status.SUBMITTING, error, delay=delay, count_attempt=False)
        return "rate limited"
    if error.error_class == TEMPORARY:
        breaker.record_failure(generation.provider, generation.model)
        return retry_or_fail(generation, Status.SUBMITTING, error)
    if error.error_class == BILLING:
        return _pause_for_credits(generation, error)
    if error.error_class == CONFIGURATION:
        if _rest_model(generation, error):
            return "model paused"
        alerts.alert_operators(
            _configuration_key(generation),
            f"{breaker.name(generation.provider, generation.model)} {error.error_class} failure: {error}",
        )
    fail(generation_id=generation.pk, error_class=error.error_class, message=str(error))
    return "failed"


def _rest_model(generation, error):
    """A video model refusing its create call for configuration (401, 404, 505: its API retired, a feature off)
    rests while another enabled model takes its orders (VIDEO_FALLBACK). The refused call made no task, so
    the generation goes back to the queue without burning an attempt, to be taken over; True when it did.
    One taken over already is not moved again (generations.takeover): it fails as it would without fallback."""
    if generation.kind != Generation.Kind.VIDEO or not settings.VIDEO_FALLBACK or len(video_models.enabled()) < 2:
        return False
    if error.code not in MODEL_CONFIGURATION_CODES:
        return False  # a 400 is this order's request, not the model's
    provider, model = generation.provider, generation.model
    if breaker.pause_configuration(provider, model):
        log.warning("%s %s: configuration error at create, the model is paused", provider, model)
    alerts.alert_operators(
        _configuration_key(generation),
        f"{breaker.name(provider, model)}: configuration failure at create ({error}); the model is paused for "
        f"{settings.MODEL_CONFIG_PAUSE_SECONDS} s and its orders are taken over by another model.",
    )
    if takeover.target(provider, generation, uncounted=1) is None:
        return False
    if _requeue(generation, Status.SUBMITTING, error, delay=SUBMIT_LEASE, count_attempt=False):
        transaction.on_commit(lambda: enqueue([generation.pk]))
    return True


def _configuration_key(generation):
    # The incident of this model: its first success ends it (breaker.record_success).
    return f"{breaker.target(generation.provider, generation.model)}:configuration"


def _pause_for_credits(generation, error):
    """The account is out of credits: every order would fail the same way, so the queue waits instead.

    A 402 is KIE refusing the call, so no task exists there: the generation goes back to the queue
    without burning an attempt, operators are told once, and its seller that it takes longer (once).
    A credit check that passes ends the pause (ops/watch.py); the deadline still refunds a long wait.
    """
    provider = generation.provider
    if breaker.pause_billing(provider):
        log.warning("%s: out of credits, submissions paused", provider)
    requeued = _requeue(generation, Status.SUBMITTING, error, delay=timedelta(0), count_attempt=False)
    alerts.alert_operators(f"{provider}:billing", billing_alert(provider))
    if requeued:  # not when cancelled meanwhile
        transaction.on_commit(lambda: _quietly(notify.waiting, generation.pk))
    return "paused"


def billing_alert(provider):
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(provider)s: the account has no credits, submissions are paused, %(count)s in the queue") % {
            "provider": provider.upper(),
            "count": Generation.objects.filter(status=Status.QUEUED).count(),
        }


def retry_or_fail(generation, current, error):
    if generation.attempts >= MAX_ATTEMPTS:
        fail(generation_id=generation.pk, error_class=error.error_class, message=str(error))
        return "failed"
    delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (generation.attempts - 1))
    if _requeue(generation, current, error, delay=delay, count_attempt=True):
        transaction.on_commit(lambda: _quietly(notify.retrying, generation.pk))
    return "retrying"


def _requeue(generation, current, error, *, delay, count_attempt):
    changes = {
        "status": Status.QUEUED,
        "next_attempt_at": timezone.now() + delay,
        "create_started_at": None,
        "provider_task_id": "",
        "next_poll_at": None,
        "error_class": error.error_class,
        "error_message": str(error)[:2000],
        "updated_at": timezone.now(),
    }
    if not count_attempt:
        changes["attempts"] = F("attempts") - 1
    return Generation.objects.filter(pk=generation.pk, status=current).update(**changes)


def fail(*, generation_id, error_class, message):
    """Fail an unfinished generation, refund it and tell the user: each exactly once."""
    with transaction.atomic():
        failed = Generation.objects.filter(pk=generation_id, status__in=Generation.ACTIVE).update(
            status=Status.FAILED,
            error_class=error_class,
            error_message=message[:2000],
            next_poll_at=None,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not failed:
            return False
        generation = Generation.objects.get(pk=generation_id)
        ledger.refund_generation(generation=generation, reason=f"generation failed: {error_class}")
        _event(generation, "failed", f"{error_class}: {message}"[:2000])
        transaction.on_commit(lambda: _quietly(notify.failed, generation_id))
    log.info("generation %s: failed (%s) and refunded", generation_id, error_class)
    return True


def poll(generation, *, key=None):
    """Read one processing generation's task and act on its state. Returns the state seen."""
    try:
        state = get_provider(generation.provider or None).get_task(
            generation.provider_task_id, key=key, model=generation.model
        )
    except ProviderError as error:
        return apply_poll(generation, error=error)
    except Exception as error:  # noqa: BLE001  (a read that breaks is this generation's trouble only)
        log.exception("generation %s: read raised", generation.pk)
        return apply_poll(
            generation, error=ProviderError(TEMPORARY, f"read raised {type(error).__name__}", malformed=True)
        )
    return apply_poll(generation, state=state)


def apply_poll(generation, *, state=None, error=None):
    """Act on what a read of the task found: a TaskState, or the ProviderError the read raised."""
    if error is not None:
        log.warning("generation %s: poll failed, %s", generation.pk, error)
        if error.error_class == RATE_LIMIT:
            return "error"  # its place in the queue is kept: it is read again first
        if error.error_class == TEMPORARY:
            _poll_failed(generation, error)
        else:
            # A key refused (the poller picks keys itself): the next read may well use a good one.
            _next_poll(generation, _poll_interval(generation))
        return "error"
    if state.state == "pending":
        _next_poll(generation, _poll_interval(generation), poll_errors=0)
    elif state.state == "success":
        _succeeded(generation, state)
    else:
        _task_failed(generation, state)
    return state.state


def _poll_failed(generation, error):
    """A read that failed for this task: it goes back in the line with backoff, and fails after too many.

    Counted on the row so it holds across poll passes: a task whose answers are junk must neither stay
    first in line (delaying everyone behind it) nor be read until its deadline.
    """
    counted = Generation.objects.filter(pk=generation.pk, status=Status.PROCESSING, next_poll_at__isnull=False)
    if not counted.update(poll_errors=F("poll_errors") + 1):
        return
    errors = Generation.objects.filter(pk=generation.pk).values_list("poll_errors", flat=True).first() or 1
    # Junk won't pass by waiting; an outage (5xx, network) may, and a task KIE still makes must not be refunded
    # while it may yet deliver: those only back off, and the deadline decides.
    if errors >= MAX_POLL_ERRORS and error.malformed:
        _event(generation, "error", f"{error.error_class}: {errors} failed reads in a row: {error}")
        fail(
            generation_id=generation.pk,
            error_class=error.error_class,
            message=f"{errors} failed reads in a row, the last: {error}",
        )
        return
    backoff = min(POLL_ERROR_BACKOFF * 2 ** (errors - 1), POLL_ERROR_MAX_DELAY)
    _next_poll(generation, max(backoff, _poll_interval(generation)))


def wake(generation):
    """A callback said the task moved: read it at the poller's next turn (the body is never trusted)."""
    return Generation.objects.filter(pk=generation.pk, status=Status.PROCESSING, next_poll_at__isnull=False).update(
        next_poll_at=timezone.now()
    )


def _succeeded(generation, state):
    if not state.result_urls:
        return _task_failed(generation, TaskState("fail", fail_message="success without a result URL"))
    stopped = Generation.objects.filter(pk=generation.pk, status=Status.PROCESSING, next_poll_at__isnull=False).update(
        next_poll_at=None,
        result_url=state.result_urls[0],
        updated_at=timezone.now(),
        finish_attempts=0,
        next_finish_at=timezone.now() + FINISH_LEASE,
    )
    if stopped:
        hand_out_finish(generation.pk, attempt=0)


def hand_out_finish(generation_id, *, attempt):
    """Queue a finish of this attempt; `attempt` fences duplicates (see `finish`)."""
    async_task("generations.tasks.finish", generation_id, attempt, task_name=f"finish-{generation_id}")


def _task_failed(generation, state):
    error_class = classify_failure(state.fail_code, state.fail_message)
    error = ProviderError(error_class, f"task failed: {state.fail_code} {state.fail_message}"[:500])
    _event(generation, "error", f"{error_class}: {error}")
    if error_class == TEMPORARY:
        retry_or_fail(generation, Status.PROCESSING, error)
    else:
        fail(generation_id=generation.pk, error_class=error_class, message=str(error))


def finish(*, generation_id, attempt=None):
    """Download the result, check and store it, complete the generation and send it: processing → completed.

    Each run claims one attempt. `attempt` is the count the task was handed out with: a second delivery
    of the same hand-out finds it claimed and does nothing (None claims the next attempt, whatever it is).
    A failed attempt is handed out again by the watchdog after a backoff, and the last one fails the row.
    """
    now = timezone.now()
    claim = Generation.objects.filter(pk=generation_id, status=Status.PROCESSING).exclude(result_url="")
    if attempt is not None:
        claim = claim.filter(finish_attempts=attempt)
    # The lease covers this run: a worker dying here leaves the row to be handed out again, not lost.
    if not claim.update(finish_attempts=F("finish_attempts") + 1, next_finish_at=now + FINISH_LEASE, updated_at=now):
        return "nothing to finish"
    generation = Generation.objects.get(pk=generation_id)
    try:
        content = get_provider(generation.provider or None).download(generation.result_url, kind=generation.kind)
        content, extension = results.prepare(generation, content)
        name = default_storage.save(storage.private_name("results", extension), ContentFile(content))
    except Exception as error:  # noqa: BLE001  (whatever broke, the row must get its backoff, not a resend a minute)
        return _finish_failed(generation, error)
    done = Generation.objects.filter(pk=generation_id, status=Status.PROCESSING).update(
        status=Status.COMPLETED, result_file=name, finished_at=timezone.now(), updated_at=timezone.now()
    )
    if not done:
        # Cancelled meanwhile, or a duplicate delivery of this task finished first.
        default_storage.delete(name)
        return "discarded"
    _event(generation, "completed", name)
    log.info("generation %s: completed", generation_id)
    notify.result(generation_id)
    return "completed"


def _finish_failed(generation, error):
    if isinstance(error, media.MediaError):
        error = ProviderError(TEMPORARY, f"the result is not a valid {generation.kind}: {error}"[:500])
    elif not isinstance(error, ProviderError):
        log.exception("generation %s: finish raised", generation.pk)
        error = ProviderError(TEMPORARY, f"finish raised {type(error).__name__}")
    attempts = generation.finish_attempts
    _event(generation, "error", f"finish attempt {attempts}: {error.error_class}: {error}")
    log.warning("generation %s: finish attempt %s failed, %s: %s", generation.pk, attempts, error.error_class, error)
    if attempts >= MAX_FINISH_ATTEMPTS:
        fail(
            generation_id=generation.pk,
            error_class=error.error_class,
            message=f"the result failed {attempts} times: {error}",
        )
        return "failed"
    Generation.objects.filter(pk=generation.pk, status=Status.PROCESSING, finish_attempts=attempts).update(
        next_finish_at=timezone.now() + FINISH_BACKOFF * 2 ** (attempts - 1),
        error_class=error.error_class,
        error_message=str(error)[:2000],
    )
    return "retrying"


def _next_poll(generation, delay, **changes):
    Generation.objects.filter(pk=generation.pk, status=Status.PROCESSING, next_poll_at__isnull=False).update(
        next_poll_at=timezone.now() + delay, **changes
    )


def _poll_interval(generation):
    """KIE's advice: every 2–3 s for the first 30 s, 5–10 s until 2 min, then 15–30 s.

    After 2 min, read again within LATE_POLL_SHARE of the task's age (at least 10 s, at most KIE's 30 s): a
    result that comes at 2–6 min waited up to 30 s to be noticed, 25 % of a 2-minute generation; now at most
    ~8 % of it, or 10 s (the seller's aim is 15 s or 10 %, whichever is larger, from done to delivered).
    """
    elapsed = (timezone.now() - (generation.submitted_at or timezone.now())).total_seconds()
    if elapsed < 30:
        seconds = random.uniform(2, 3)
    elif elapsed < 120:
        seconds = random.uniform(5, 10)
    else:
        longest = min(LATE_POLL_LONGEST, max(LATE_POLL_SHORTEST, LATE_POLL_SHARE * elapsed))
        seconds = random.uniform(longest / 2, longest)
    return timedelta(seconds=seconds)


def _timeout(generation):
    if generation.kind != Generation.Kind.VIDEO:
        return timedelta(minutes=settings.IMAGE_TIMEOUT_MINUTES)
    # A model's deadline (VIDEO_TIMEOUTS, else its own, else VIDEO_TIMEOUT_MINUTES) is for its default duration:
    # Sora takes longer over a longer clip, so a 15 s video gets half as long again, never less than that.
    model = video_models.get(generation.model) or video_models.get("sora2")
    default = formats.default_video_seconds() if model.key == "sora2" else model.default_seconds
    scale = max((generation.seconds or default) / default, 1)
    return timedelta(minutes=model.timeout_minutes * scale)


class _Cancelled(Exception):
    pass


def _event(generation, kind, detail=""):
    GenerationEvent.objects.create(generation_id=generation.pk, kind=kind, detail=str(detail)[:2000])


def _quietly(notify, generation_id):
    # A message Telegram would not take is logged; the watchdog does not resend it (it would spam).
    try:
        notify(generation_id)
    except Exception:  # noqa: BLE001
        log.exception("generation %s: %s not delivered", generation_id, notify.__name__)
