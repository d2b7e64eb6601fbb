"""An order's closing: its one "after result" keyboard, and the originals of its cards as one album.

Each card's photo and each video go as soon as they are ready (generations/notify.py). The order's
keyboard goes on its last message: the generation that finds every other one of its order finished
(cancelled ones count) claims it for its result or failure message, with a conditional UPDATE on the
order's row (OrderDelivery.keyboard_on), so two finishing at once never both take it.

Once the order is finished and its results delivered, the closing is due, once (`due_at`, NULL → now):
the originals of its cards (Telegram recompresses photos; a marketplace wants the file) as one album of
documents, or one document for a single card; and, when no generation could tell it was last (two
finished at once, each seeing the other still at work), a short message with the keyboard, before the
album. Telegram puts no keyboard on an album, so the album comes after the keyboard's message. The
closing is tried like a result (generations/delivery.py): a failed album is retried, the photos are not.
"""

import logging

from django.db.models import Exists, F, OuterRef, PositiveBigIntegerField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from accounts.models import TelegramUser
from generations import delivery, names
from generations.models import Generation, OrderDelivery
from messaging import keyboards, sender, texts

log = logging.getLogger(__name__)
Status = Generation.Status

MAX_ALBUM = 10  # sendMediaGroup takes 2–10 items
SWEPT_FOR = 2 * delivery.DELIVERY_DEADLINE  # how far back the watchdog looks for orders never found closed


def carries_keyboard(generation):
    """Whether this generation's message carries its order's keyboard: it is the last, as far as it can tell.

    Asked before each try of the message, after the generation's own status was committed: of two
    finishing at once, at least the later one sees the other finished, and the claim lets only one win."""
    order = _row(generation.order_id, generation.user_id)
    if order.keyboard_on is not None:
        return order.keyboard_on == generation.pk
    # Another still at work, or finished but its result not yet with the seller (a worker is sending it, or it
    # waits for a retry), would arrive after this message: it is not the last.
    others = Generation.objects.filter(order_id=generation.order_id).exclude(pk=generation.pk)
    if others.filter(Q(status__in=Generation.ACTIVE) | _still_sending()).exists():
        return False
    return bool(
        OrderDelivery.objects.filter(pk=generation.order_id, keyboard_on__isnull=True).update(keyboard_on=generation.pk)
    )


def close_order(order_id):
    """Called after each message of an order (and each cancel): when it was the last, the closing is due
    and its first try is made here; a failure is left to the retry pass."""
    now = timezone.now()
    first = Generation.objects.filter(order_id=order_id).order_by("pk").first()
    if first is None:
        return "no order"
    _row(order_id, first.user_id)
    if not _mark_due(order_id, now):
        return "not due"
    lease = delivery.claim(_undelivered().filter(pk=order_id), now)
    return deliver(order_id, lease=lease) if lease else "not due"


def claim_due(now, *, limit=200):
    """Claim the closings due for a try (the watchdog hands each to a task): [(order id, lease)].

    First the orders finished a while ago whose closing was never found due (the process that sent their
    last message died before it looked), then the closings due or never tried."""
    for order_id in _forgotten(now, limit):
        _mark_due(order_id, now)
    return delivery.claim_due(_undelivered(), now, started="due_at", limit=limit)


def deliver(order_id, *, lease):
    """Send what is left of an order's closing under a claim; returns what happened. Never raises SendFailed."""
    mine = delivery.take(_undelivered().filter(pk=order_id), lease)
    if mine is None:
        return "claimed elsewhere"
    row = OrderDelivery.objects.filter(pk=order_id)
    order = row.select_related("user").get()
    if order.user.bot_blocked_at is None:
        try:
            with translation.override(order.user.language):
                delivery.send_parts(_parts(order), row=row, counter="parts_sent", already=order.parts_sent)
        except Exception as error:  # noqa: BLE001  (whatever stopped it, the originals must not be lost)
            tries = order.delivery_attempts
            return delivery.failed(
                mine,
                what=f"order {order_id}: closing",
                tries=tries,
                started_at=order.due_at,
                error=error,
                alert=(
                    f"closing:{order_id}",
                    f"The originals of order {order_id} (user {order.user.telegram_id}) were not delivered "
                    f"in a day, {tries} tries; the cards stay in their /history.",
                ),
            )
    if TelegramUser.objects.filter(pk=order.user_id, bot_blocked_at__isnull=False).exists():
        mine.update(next_delivery_at=None)
        log.info("order %s: closing not sent, the user blocked the bot", order_id)
        return "blocked"
    row.filter(sent_at__isnull=True).update(sent_at=timezone.now(), next_delivery_at=None)
    log.info("order %s: closing sent (try %s)", order_id, order.delivery_attempts)
    return "sent"


def _parts(order):
    """The messages of the closing, in order, each a call that sends one (an album is one)."""
    generations = list(Generation.objects.filter(order_id=order.pk).order_by("pk"))
    chat_id, parts = order.user.telegram_id, []
    done = [g for g in generations if g.status == Status.COMPLETED]
    if order.keyboard_on == OrderDelivery.CLOSING:
        # Also when everything failed at once: each failure message went without the keyboard.
        text = texts.order_done(generations[0], done=len(done), total=len(generations))
        markup = keyboards.after_result(generations[0])
        parts.append(lambda: sender.send_message(chat_id, text, markup=markup))
    cards = [g for g in done if g.kind == Generation.Kind.IMAGE and g.result_file]
    numbers = {g.pk: number for number, g in enumerate(generations, 1)}
    files = [(names.file_name(g, numbers[g.pk], len(generations)), g.result_file.name) for g in cards]
    if len(files) == 1:
        ((filename, name),) = files
        parts.append(lambda: _send_original(chat_id, filename, name))
    elif files:
        # An order has at most 5 cards (services.COUNTS): one album of documents, within Telegram's 10.
        parts.append(lambda: _send_album(chat_id, files[:MAX_ALBUM]))
    return parts


def _send_original(chat_id, filename, name):
    return sender.send_file(
        "sendDocument",
        chat_id,
        field="document",
        content=delivery.read(name),
        filename=filename,
        caption=texts.original_file(),
    )


def _send_album(chat_id, files):
    return sender.send_media_group(
        chat_id, files=[(filename, delivery.read(name)) for filename, name in files], caption=texts.original_files()
    )


def _mark_due(order_id, now):
    """The closing is due once nothing of the order is at work or waiting for its result's delivery."""
    rows = Generation.objects.filter(order_id=order_id)
    if rows.filter(Q(status__in=Generation.ACTIVE) | _still_sending()).exists():
        return False
    last = rows.order_by(F("finished_at").desc(nulls_last=True), "-pk").first()
    changes = {"due_at": now}
    if last is not None and last.status != Status.CANCELLED:
        # A keyboard no generation took (they finished at once): the closing message carries it. A cancel
        # is answered by the bot itself, with its own keyboard.
        changes["keyboard_on"] = Coalesce(
            "keyboard_on", Value(OrderDelivery.CLOSING), output_field=PositiveBigIntegerField()
        )
    return bool(OrderDelivery.objects.filter(pk=order_id, due_at__isnull=True).update(**changes))


def _still_sending():
    """A completed generation whose result is not with the seller yet and is still being tried (not given up)."""
    return Q(status=Status.COMPLETED, result_sent_at__isnull=True) & (
        Q(next_delivery_at__isnull=False) | Q(delivery_attempts=0)
    )


def _forgotten(now, limit):
    at_work = Generation.objects.filter(order_id=OuterRef("pk"), status__in=Generation.ACTIVE)
    just_finished = Generation.objects.filter(order_id=OuterRef("pk"), finished_at__gt=now - delivery.FIRST_TRY_GRACE)
    return list(
        OrderDelivery.objects.filter(due_at__isnull=True, created_at__gte=now - SWEPT_FOR)
        .exclude(Exists(at_work))
        .exclude(Exists(just_finished))
        .values_list("pk", flat=True)[:limit]
    )


def _undelivered():
    return OrderDelivery.objects.filter(due_at__isnull=False, sent_at__isnull=True)


def _row(order_id, user_id):
    # Made with the order (services.create_order); an order from before the closing existed gets it here.
    order, _ = OrderDelivery.objects.get_or_create(order_id=order_id, defaults={"user_id": user_id})
    return order
