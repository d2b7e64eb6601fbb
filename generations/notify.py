"""Messages about generations, each sent once (operators' alerts are messaging.alerts).

A message is claimed by setting its marker with a conditional UPDATE (NULL → now): a duplicate task,
a second worker or a retry finds the marker set and sends nothing. A user who blocked the bot is
skipped; when Telegram stays unreachable the marker is released so a later run may send it.

A result is what the seller paid for, so it is never given up on quietly: a try that Telegram does
not take is tried again with backoff (the watchdog's pass claims what is due) for a day after
completion; then operators are told and the result waits in /history. A try is claimed by setting
`next_delivery_at` to the end of a lease with a conditional UPDATE, so two passes never send one
result twice, and the claim of a worker that died mid-send runs out and is taken again. Payment
messages are claimed the same way, on the Payment row (billing.notify).
"""

import functools
import logging
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone, translation

from accounts.models import TelegramUser
from generations import storage
from generations.models import Generation
from messaging import alerts, keyboards, sender, texts

log = logging.getLogger(__name__)

MAX_VIDEO_UPLOAD = 50 * 1024 * 1024  # the Bot API's upload limit
MINUTES_A_VIDEO_TAKES = 5
DELIVERY_DEADLINE = timedelta(days=1)
DELIVERY_BACKOFF = timedelta(minutes=1)  # 1, 2, 4 … minutes between tries of a result,
DELIVERY_BACKOFF_MAX = timedelta(hours=1)  # at most an hour apart
# A claimed try waits this long for its task to start (the cluster's queue), then another pass may take
# it; a started try holds it for longer than one can last (the cluster's task timeout is 120 s).
DELIVERY_LEASE = timedelta(minutes=10)
SEND_TIME = timedelta(minutes=5)
FIRST_TRY_GRACE = timedelta(minutes=2)  # the finish task makes the first try; the pass waits this long


def retrying(generation_id):
    _once(generation_id, "retry_sent_at", lambda g: sender.send_message(g.user.telegram_id, texts.retrying(g)))


def still_working(generation_id):
    _once(
        generation_id,
        "slow_sent_at",
        lambda g: sender.send_message(g.user.telegram_id, texts.still_working(g, MINUTES_A_VIDEO_TAKES)),
    )


def failed(generation_id):
    _once(
        generation_id,
        "failure_sent_at",
        lambda g: sender.send_message(g.user.telegram_id, texts.failed(g), markup=keyboards.after_result(g)),
    )


def result(generation_id):
    """The first try, made by the finish task; a failure is logged and left to the retry pass."""
    lease = _claim_result(generation_id, timezone.now())
    return deliver_result(generation_id, lease=lease) if lease else "not due"


def claim_due_results(now, *, limit=200):
    """Claim the results due for a try (the watchdog hands each to a task): [(generation id, lease)]."""
    never_tried = Q(
        next_delivery_at__isnull=True,
        delivery_attempts=0,
        finished_at__range=(now - DELIVERY_DEADLINE, now - FIRST_TRY_GRACE),
    )
    due = _undelivered().filter(Q(next_delivery_at__lte=now) | never_tried).order_by("finished_at")
    claimed = []
    for pk in due.values_list("pk", flat=True)[:limit]:
        lease = _claim_result(pk, now)
        if lease:
            claimed.append((pk, lease))
    return claimed


def deliver_result(generation_id, *, lease):
    """Send what is left of a result under a claim; returns what happened. Never raises SendFailed."""
    # The claim becomes this sender's, for as long as a try can take: a second delivery of the same task
    # finds it changed and sends nothing, and no pass takes the row while this one may still be sending.
    sending = timezone.now() + SEND_TIME
    if not Generation.objects.filter(pk=generation_id, next_delivery_at=lease).update(next_delivery_at=sending):
        return "claimed elsewhere"
    mine = Generation.objects.filter(pk=generation_id, next_delivery_at=sending)
    generation = Generation.objects.select_related("user").get(pk=generation_id)
    if generation.user.bot_blocked_at is None:
        try:
            with translation.override(generation.user.language):
                _send_result(generation)
        except Exception as error:  # noqa: BLE001  (whatever stopped it, the result must not be lost)
            return _delivery_failed(generation, mine, error)
    if TelegramUser.objects.filter(pk=generation.user_id, bot_blocked_at__isnull=False).exists():
        # No retries for a user who blocked the bot; the result stays in /history for when they are back.
        mine.update(next_delivery_at=None)
        log.info("generation %s: result not sent, the user blocked the bot", generation_id)
        return "blocked"
    Generation.objects.filter(pk=generation_id, result_sent_at__isnull=True).update(
        result_sent_at=timezone.now(), next_delivery_at=None
    )
    log.info("generation %s: result sent (try %s)", generation_id, generation.delivery_attempts)
    return "sent"


def result_resent(generation_id):
    """The seller had the result sent from /history: a retry still due must not send it again."""
    Generation.objects.filter(pk=generation_id, result_sent_at__isnull=True).update(
        result_sent_at=timezone.now(), next_delivery_at=None
    )


def _undelivered():
    return Generation.objects.filter(status=Generation.Status.COMPLETED, result_sent_at__isnull=True)


def _claim_result(generation_id, now):
    lease = now + DELIVERY_LEASE
    # Due, or never tried; a given-up result has attempts and no next try, and is never claimed again.
    claimable = Q(next_delivery_at__lte=now) | Q(next_delivery_at__isnull=True, delivery_attempts=0)
    claimed = (
        _undelivered()
        .filter(claimable, pk=generation_id)
        .update(next_delivery_at=lease, delivery_attempts=F("delivery_attempts") + 1)
    )
    return lease if claimed else None


def _delivery_failed(generation, mine, error):
    tries = generation.delivery_attempts
    if isinstance(error, sender.SendFailed):
        log.warning("generation %s: result not delivered, try %s: %s", generation.pk, tries, error)
    else:
        log.exception("generation %s: result not delivered, try %s", generation.pk, tries)
    now = timezone.now()
    if now >= (generation.finished_at or now) + DELIVERY_DEADLINE:
        if mine.update(next_delivery_at=None):
            alerts.alert_operators(
                f"delivery:{generation.pk}",
                f"The result of generation #{generation.pk} (user {generation.user.telegram_id}) was "
                f"not delivered in a day, {tries} tries; it stays in their /history.",
            )
        return "gave up"
    mine.update(next_delivery_at=now + min(DELIVERY_BACKOFF * 2 ** min(tries - 1, 10), DELIVERY_BACKOFF_MAX))
    return "retrying"


def _once(generation_id, marker, send):
    now = timezone.now()
    claimed = Generation.objects.filter(pk=generation_id, **{f"{marker}__isnull": True}).update(**{marker: now})
    if not claimed:
        return False
    generation = Generation.objects.select_related("user").get(pk=generation_id)
    if generation.user.bot_blocked_at:
        log.info("generation %s: %s not sent, the user blocked the bot", generation_id, marker)
        return False
    try:
        with translation.override(generation.user.language):
            send(generation)
    except sender.SendFailed:
        # Give the message back so the next watchdog pass or task delivery can send it.
        Generation.objects.filter(pk=generation_id, **{marker: now}).update(**{marker: None})
        raise
    log.info("generation %s: %s sent", generation_id, marker)
    return True


def _send_result(generation):
    parts = _result_parts(generation)
    for number in range(generation.result_parts_sent, len(parts)):
        parts[number]()
        # Counted as soon as Telegram took it: a retry after the photo went sends only the document.
        # (Telegram has no idempotency key: a process dying between its answer and this line resends it.)
        Generation.objects.filter(pk=generation.pk, result_parts_sent__lt=number + 1).update(
            result_parts_sent=number + 1
        )


def _result_parts(generation):
    """The messages a result is made of, in order, each a call that sends one."""
    chat_id, markup = generation.user.telegram_id, keyboards.after_result(generation)
    name = generation.result_file.name
    if generation.kind == Generation.Kind.VIDEO:
        if default_storage.size(name) > MAX_VIDEO_UPLOAD:
            return [
                lambda: sender.send_message(
                    chat_id, texts.result_link(generation, _public_url(generation)), markup=markup
                )
            ]
        return [
            lambda: sender.send_file(
                "sendVideo",
                chat_id,
                field="video",
                content=_read(name),
                filename=f"video_{generation.pk}.mp4",
                caption=texts.result_ready(generation),
                markup=markup,
            )
        ]
    # Telegram recompresses photos: the card also goes as a document, the original for the marketplace.
    # One read serves both parts when they go in one try.
    card = functools.cache(lambda: _read(name))
    return [
        lambda: sender.send_file(
            "sendPhoto",
            chat_id,
            field="photo",
            content=card(),
            filename=f"card_{generation.pk}.jpg",
            caption=texts.result_ready(generation),
        ),
        lambda: sender.send_file(
            "sendDocument",
            chat_id,
            field="document",
            content=card(),
            filename=f"card_{generation.pk}.jpg",
            caption=texts.card_original(),
            markup=markup,
        ),
    ]


def _read(name):
    with default_storage.open(name, "rb") as file:
        return file.read()


def _public_url(generation):
    # Signed for this generation's stored file and expiring: the storage itself is never public.
    return storage.result_link(generation)
