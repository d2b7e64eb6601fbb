"""Generation state changes: named, keyword-only, transactional. Money moves through billing.ledger."""

import functools
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from billing import ledger
from generations import formats, pipeline, video_models
from generations.models import Generation, GenerationEvent, OrderDelivery, QueueGate, unit_cost

log = logging.getLogger(__name__)

COUNTS = (1, 3, 5)  # at most 5: an order's originals go as one album (Telegram's hold 2 to 10)
HOUR = timedelta(hours=1)
Status = Generation.Status


class OrderRefused(Exception):
    """An order the limits do not allow; `reason` names the limit, `numbers` go into the message."""

    def __init__(self, reason, **numbers):
        self.reason, self.numbers = reason, numbers
        super().__init__(f"order refused: {reason} {numbers}")


@dataclass(frozen=True)
class Order:
    order_id: uuid.UUID
    generations: list
    created: bool
    queue_position: int


def _in_a_transaction(func):
    """Standing alone, run in a transaction of its own: the queue gate's lock must last until the order commits."""

    @functools.wraps(func)
    def wrapper(**kwargs):
        if transaction.get_connection().in_atomic_block:
            return func(**kwargs)
        with transaction.atomic():
            return func(**kwargs)

    return wrapper


@_in_a_transaction
def create_order(
    *,
    user,
    kind,
    template,
    description,
    wishes,
    reference_file_id,
    count,
    order_id,
    reference_image="",
    card_format="",
    seconds=None,
    title="",
    points=(),
    model=None,
):
    """Check the limits, create `count` queued generations and charge each, all or nothing.

    `order_id` is the idempotency key: confirming the same order again returns it unchanged. Call it
    with the user's row locked (the bot's turn does), so the limits and the balance hold while it runs.
    `reference_image` is the photo already checked and stored by the bot; without it the pipeline
    downloads `reference_file_id` itself. A card goes in `card_format` (generations.formats, the default
    when blank); a video lasts `seconds` (a priced duration, the default when None) and costs by it.
    `title` and `points` are what infographics and covers typeset. A video is made by `model` (an enabled
    video model's key, generations.video_models; the default one when None), priced by it.
    """
    if count not in COUNTS:
        raise ValueError(f"count must be one of {COUNTS}, not {count!r}")
    if kind == Generation.Kind.VIDEO:
        if model is not None and model not in [enabled.key for enabled in video_models.enabled()]:
            raise ValueError(f"model must be an enabled video model, not {model!r}")
        video_model = video_models.chosen(model)
        model = video_model.key
        seconds = seconds or video_model.seconds
        if seconds not in video_model.prices:
            raise ValueError(f"seconds must be one of {video_model.durations} for {model}, not {seconds!r}")
        card_format = ""
    else:
        model = video_models.IMAGE_MODEL
        card_format = card_format or formats.DEFAULT_CARD_FORMAT
        if card_format not in formats.CARD_FORMATS:
            raise ValueError(f"card_format must be one of {list(formats.CARD_FORMATS)}, not {card_format!r}")
        seconds = None
    points = [str(point) for point in points][: formats.MAX_POINTS]
    if user.is_blocked:
        raise OrderRefused("blocked")
    _lock_queue_gate()
    now = timezone.now()
    stats = Generation.objects.filter(Q(status=Status.QUEUED) | Q(user=user)).aggregate(
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        active_orders=Count("order_id", distinct=True, filter=Q(user=user, status__in=Generation.ACTIVE)),
        last_hour=Count("pk", filter=Q(user=user) & _counted_this_hour(now)),
        this_order=Count("pk", filter=Q(user=user, order_id=order_id)),
    )
    if stats["this_order"]:
        existing = list(Generation.objects.filter(order_id=order_id).order_by("pk"))
        return Order(order_id, existing, created=False, queue_position=_queue_position(existing[0]))
    if stats["active_orders"] >= settings.MAX_ACTIVE_ORDERS:
        raise OrderRefused("active_orders", limit=settings.MAX_ACTIVE_ORDERS)
    if stats["last_hour"] + count > settings.RATE_LIMIT_GENERATIONS_PER_HOUR:
        raise _hourly_refusal(user, count=count, used=stats["last_hour"], now=now)
    if stats["queued"] + count > settings.MAX_QUEUE_SIZE:
        raise OrderRefused("queue_full", queued=stats["queued"], limit=settings.MAX_QUEUE_SIZE)
    cost = unit_cost(kind, seconds, model)
    if user.balance < cost * count:
        raise OrderRefused("balance", needed=cost * count, balance=user.balance)
    # Refusals are all above, before any write: inside the caller's transaction this block needs no
    # savepoint of its own, and standing alone it is the transaction.
    with transaction.atomic(savepoint=False):
        generations = Generation.objects.bulk_create(
            Generation(
                user=user,
                order_id=order_id,
                kind=kind,
                template=template,
                description=description,
                wishes=wishes,
                reference_file_id=reference_file_id,
                reference_image=reference_image,
                card_format=card_format,
                seconds=seconds,
                model=model,
                ordered_model=model,
                title=title[:120],
                points=points,
                cost=cost,
                idempotency_key=f"{order_id}:{index}",
                # Handed to workers at commit; offered again by the dispatcher if that task is ever lost.
                next_attempt_at=timezone.now() + pipeline.SUBMIT_LEASE,
            )
            for index in range(count)
        )
        ledger.charge_generations(generations=generations)
        OrderDelivery.objects.create(order_id=order_id, user=user)
        ids = [generation.pk for generation in generations]
        transaction.on_commit(lambda: pipeline.enqueue(ids))
    log.info("order %s created: user %s, %s x %s", order_id, user.pk, count, kind)
    return Order(order_id, generations, created=True, queue_position=stats["queued"] + 1)


def _counted_this_hour(now):
    """The generations the hourly limit counts: made in the last hour and not refunded.

    A failed or cancelled generation is refunded in the transaction that sets its status (pipeline.fail,
    cancel_generation, support_refund), so the status says it: what the seller did not get does not count.
    """
    return Q(created_at__gte=now - HOUR) & ~Q(status__in=[Status.FAILED, Status.CANCELLED])


def _hourly_refusal(user, *, count, used, now):
    """The refusal, with how many are left this hour and, when the order can fit at all, the minutes until it
    does: until the generation whose hour ends last among those that must age out is an hour old."""
    limit = settings.RATE_LIMIT_GENERATIONS_PER_HOUR
    minutes = None
    if count <= limit:
        must_age_out = used + count - limit
        counted = Generation.objects.filter(_counted_this_hour(now), user=user).order_by("created_at")
        ages = list(counted.values_list("created_at", flat=True)[:must_age_out])
        if ages:
            minutes = max(1, math.ceil((ages[-1] + HOUR - now).total_seconds() / 60))
    return OrderRefused("hourly", limit=limit, used=used, left=max(limit - used, 0), minutes=minutes)


def _lock_queue_gate():
    """Admit orders one at a time, across processes, until the caller's transaction ends.

    Under the user's lock alone, a burst of users each count the same queue and all fit (20 users into a
    queue of 5 got 7 in, with repeated places). Behind this lock the count below (a new statement, so a new
    snapshot under READ COMMITTED) sees every earlier admission committed, so the cap holds and each place is
    1 + the generations queued ahead. A counter row would need every way out of `queued` to keep it right; a
    count under one lock needs nothing.
    Lock order, always: the user's row (the caller's), then this gate; nothing takes them the other way
    round, so they can't deadlock. Held only for the rest of the order's transaction, with no network call.
    One query per order. SQLite ignores the lock, but its IMMEDIATE transactions already admit one at a time.
    """
    if not QueueGate.objects.select_for_update().filter(pk=1).values_list("pk", flat=True):
        # The migration made it; a flushed database (tests) has lost it. The create is once, at most.
        QueueGate.objects.get_or_create(pk=1)
        QueueGate.objects.select_for_update().filter(pk=1).values_list("pk", flat=True).get()


def cancel_generation(*, generation, reason, actor=None):
    """Cancel one unfinished generation and refund it, once. Returns True when this call cancelled it.

    A generation the provider is already making is cancelled too: its late result is discarded.
    """
    with transaction.atomic():
        claimed = Generation.objects.filter(pk=generation.pk, status__in=Generation.ACTIVE).update(
            status=Status.CANCELLED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
            error_class="cancelled",
            error_message=reason,
        )
        if not claimed:
            return False
        posting = ledger.refund_generation(generation=generation, reason=reason, actor=actor)
        if actor is not None:
            _staff_event(generation, "cancelled", actor, posting, reason)
        _close_order_at_commit(generation.order_id)
    log.info("generation %s cancelled: %s", generation.pk, reason)
    return True


def cancel_active(*, user, reason):
    """Cancel every unfinished generation of a user; returns (how many, credits refunded)."""
    cancelled = refunded = 0
    for generation in Generation.objects.filter(user=user, status__in=Generation.ACTIVE).order_by("pk"):
        if cancel_generation(generation=generation, reason=reason):
            cancelled += 1
            refunded += generation.cost
    return cancelled, refunded


def _close_order_at_commit(order_id):
    # A cancel may be what finishes an order: its closing (the originals of the cards made) is a worker's
    # job, not the caller's (a webhook, the admin). A task lost here is found by the watchdog's sweep.
    transaction.on_commit(
        lambda: async_task("generations.tasks.close_order", str(order_id), task_name=f"close-{order_id}")
    )


def _queue_position(generation):
    if generation.status != Status.QUEUED:
        return 0
    return Generation.objects.filter(status=Status.QUEUED, pk__lte=generation.pk).count()


class RefundRefused(Exception):
    pass


def support_refund(*, generation, actor, reason):
    """Support gives back a failed, cancelled or stuck generation's credits, once, with who and why.

    A generation still in the works is cancelled first (its late result is discarded). A second refund,
    or one of a completed generation, is refused with the reason.
    """
    if not (reason or "").strip():
        raise RefundRefused("A reason is required.")
    with transaction.atomic():
        # Read the status under the row's lock: a result finishing meanwhile must not be refunded.
        generation = Generation.objects.select_for_update().get(pk=generation.pk)
        if generation.status == Status.COMPLETED:
            raise RefundRefused(f"Generation #{generation.pk} completed: its result was delivered.")
        Generation.objects.filter(pk=generation.pk, status__in=Generation.ACTIVE).update(
            status=Status.CANCELLED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
            error_class="cancelled",
            error_message=f"refunded by support: {reason}"[:2000],
        )
        posting = ledger.refund_generation(generation=generation, reason=reason, actor=actor)
        if not posting.created:
            raise RefundRefused(f"Generation #{generation.pk} was already refunded.")
        _staff_event(generation, "refunded", actor, posting, reason)
        _close_order_at_commit(generation.order_id)
    log.info("generation %s: refunded by staff %s", generation.pk, getattr(actor, "pk", None))
    return posting


def _staff_event(generation, kind, actor, posting, reason):
    """A refund by staff in the attempt history, with who and why (the ledger row has them too)."""
    amount = posting.entries[0].amount if posting.created else 0
    # Written in the staff's language, as the rest of what support reads in the admin.
    with translation.override(settings.LANGUAGE_CODE):
        who = _("by %(who)s") % {"who": actor.get_username()} if actor is not None else _("by an operator (manage.py)")
        detail = _("%(credits)s credits back, %(who)s: %(reason)s") % {"credits": amount, "who": who, "reason": reason}
    GenerationEvent.objects.create(generation_id=generation.pk, kind=kind, detail=detail[:2000])
