"""Messages about generations, each sent once (operators' alerts are messaging.alerts).

A message is claimed by setting its marker with a conditional UPDATE (NULL → now): a duplicate task,
a second worker or a retry finds the marker set and sends nothing. A user who blocked the bot is
skipped; when Telegram stays unreachable the marker is released so a later run may send it.

A result (a card's photo, a video) is what the seller paid for, so it is never given up on quietly: a
try that Telegram does not take is tried again with backoff (the watchdog's pass claims what is due) for
a day after completion, under a claim (generations/delivery.py); then operators are told and the result
waits in /history. Payment messages are claimed the same way, on the Payment row (billing.notify).

What an order sends as a whole, its one keyboard and the originals of its cards, is generations/closing.py:
each result or failure asks it whether it carries the keyboard, and tells it when it is done.
"""

import logging

from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import TelegramUser
from generations import closing, delivery, names, storage, video_models
from generations.models import Generation
from messaging import keyboards, sender, texts

log = logging.getLogger(__name__)

MAX_VIDEO_UPLOAD = 50 * 1024 * 1024  # the Bot API's upload limit
MINUTES_A_VIDEO_TAKES = 5


def retrying(generation_id):
    _once(generation_id, "retry_sent_at", lambda g: sender.send_message(g.user.telegram_id, texts.retrying(g)))


def still_working(generation_id):
    _once(
        generation_id,
        "slow_sent_at",
        lambda g: sender.send_message(g.user.telegram_id, texts.still_working(g, MINUTES_A_VIDEO_TAKES)),
    )


def waiting(generation_id):
    """The provider paused (out of credits): the queued order waits; one message, on the "slow" marker."""
    _once(generation_id, "slow_sent_at", lambda g: sender.send_message(g.user.telegram_id, texts.waiting(g)))


def failed(generation_id):
    """The failure message; the order's keyboard goes on it when it is the order's last message."""
    try:
        _once(
            generation_id,
            "failure_sent_at",
            lambda g: sender.send_message(g.user.telegram_id, texts.failed(g), markup=_keyboard(g)),
        )
    finally:
        order_id = Generation.objects.filter(pk=generation_id).values_list("order_id", flat=True).first()
        if order_id:
            closing.close_order(order_id)


def result(generation_id):
    """The first try, made by the finish task; a failure is logged and left to the retry pass."""
    lease = _claim_result(generation_id, timezone.now())
    return deliver_result(generation_id, lease=lease) if lease else "not due"


def claim_due_results(now, *, limit=200):
    """Claim the results due for a try (the watchdog hands each to a task): [(generation id, lease)]."""
    return delivery.claim_due(_undelivered(), now, started="finished_at", limit=limit)


def deliver_result(generation_id, *, lease):
    """Send what is left of a result under a claim; returns what happened. Never raises SendFailed.

    Once the result is settled (sent, or not sendable), the order is told: it may be its last."""
    mine = delivery.take(_undelivered().filter(pk=generation_id), lease)
    if mine is None:
        return "claimed elsewhere"
    row = Generation.objects.filter(pk=generation_id)
    generation = row.select_related("user").get()
    if generation.user.bot_blocked_at is None:
        try:
            with translation.override(generation.user.language):
                delivery.send_parts(
                    _result_parts(generation),
                    row=row,
                    counter="result_parts_sent",
                    already=generation.result_parts_sent,
                )
        except Exception as error:  # noqa: BLE001  (whatever stopped it, the result must not be lost)
            return _delivery_failed(generation, mine, error)
    if TelegramUser.objects.filter(pk=generation.user_id, bot_blocked_at__isnull=False).exists():
        # No retries for a user who blocked the bot; the result stays in /history for when they are back.
        mine.update(next_delivery_at=None)
        log.info("generation %s: result not sent, the user blocked the bot", generation_id)
        outcome = "blocked"
    else:
        row.filter(result_sent_at__isnull=True).update(result_sent_at=timezone.now(), next_delivery_at=None)
        log.info("generation %s: result sent (try %s)", generation_id, generation.delivery_attempts)
        outcome = "sent"
    closing.close_order(generation.order_id)
    return outcome


def caption(generation):
    """What a result says: the product, what it is and its place in the order (also on a /history resend)."""
    number, total = names.place(generation)
    return _with_maker(generation, texts.result_ready(generation, number=number, total=total))


def made_by(generation):
    """The line a video taken over by another model carries (generations.takeover): which one made it."""
    if generation.kind != Generation.Kind.VIDEO or generation.model == generation.ordered_model:
        return ""
    return _("%(ordered)s was unavailable — this video was made by %(model)s (%(seconds)s s).") % {
        "ordered": video_models.label(generation.ordered_model),
        "model": video_models.label(generation.model),
        "seconds": generation.seconds,
    }


def _with_maker(generation, text):
    line = made_by(generation)
    return f"{text}\n{line}" if line else text


def result_resent(generation_id):
    """The seller had the result sent from /history: a retry still due must not send it again."""
    Generation.objects.filter(pk=generation_id, result_sent_at__isnull=True).update(
        result_sent_at=timezone.now(), next_delivery_at=None
    )


def _undelivered():
    return Generation.objects.filter(status=Generation.Status.COMPLETED, result_sent_at__isnull=True)


def _claim_result(generation_id, now):
    return delivery.claim(_undelivered().filter(pk=generation_id), now)


def _delivery_failed(generation, mine, error):
    tries = generation.delivery_attempts
    outcome = delivery.failed(
        mine,
        what=f"generation {generation.pk}: result",
        tries=tries,
        started_at=generation.finished_at,
        error=error,
        alert=(
            f"delivery:{generation.pk}",
            f"The result of generation #{generation.pk} (user {generation.user.telegram_id}) was "
            f"not delivered in a day, {tries} tries; it stays in their /history.",
        ),
    )
    if outcome == "gave up":
        closing.close_order(generation.order_id)
    return outcome


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


def _keyboard(generation):
    return keyboards.after_result(generation) if closing.carries_keyboard(generation) else None


def _result_parts(generation):
    """The messages a result is made of, each a call that sends one: the card's photo or the video.

    A card's original file goes with the order's closing, in one album for the whole order."""
    # The keyboard is decided only for a message still to go: a claim for one already sent would be lost.
    chat_id, markup = generation.user.telegram_id, _keyboard(generation) if not generation.result_parts_sent else None
    number, total = names.place(generation)
    text = _with_maker(generation, texts.result_ready(generation, number=number, total=total))
    name = generation.result_file.name
    filename = names.file_name(generation, number, total)
    if generation.kind == Generation.Kind.VIDEO and default_storage.size(name) > MAX_VIDEO_UPLOAD:
        link = texts.result_link(generation, _public_url(generation), number=number, total=total)
        link = _with_maker(generation, link)
        return [lambda: sender.send_message(chat_id, link, markup=markup)]
    method, field = ("sendVideo", "video") if generation.kind == Generation.Kind.VIDEO else ("sendPhoto", "photo")
    return [
        lambda: sender.send_file(
            method,
            chat_id,
            field=field,
            content=delivery.read(name),
            filename=filename,
            caption=text,
            markup=markup,
        )
    ]


def _public_url(generation):
    # Signed for this generation's stored file and expiring: the storage itself is never public.
    return storage.result_link(generation)
