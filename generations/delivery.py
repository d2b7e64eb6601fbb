"""How something a seller paid for reaches Telegram: tried again with backoff for a day, under a claim.

Used for a generation's result (generations/notify.py) and an order's closing (generations/closing.py);
both rows have `delivery_attempts`, `next_delivery_at` and a count of the parts already sent.

A try is claimed by setting `next_delivery_at` to the end of a lease with a conditional UPDATE, so two
passes never send one thing twice, and the claim of a worker that died mid-send runs out and is taken
again. A part is counted as soon as Telegram took it, so a retry sends only the rest. (Telegram has no
idempotency key: only a process dying between its answer and the count can repeat a part.)
"""

import logging
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone

from messaging import alerts, sender

log = logging.getLogger(__name__)

DELIVERY_DEADLINE = timedelta(days=1)
DELIVERY_BACKOFF = timedelta(minutes=1)  # 1, 2, 4 … minutes between tries,
DELIVERY_BACKOFF_MAX = timedelta(hours=1)  # at most an hour apart
# A claimed try waits this long for its task to start (the cluster's queue), then another pass may take
# it; a started try holds it for longer than one can last (the cluster's task timeout is 120 s).
DELIVERY_LEASE = timedelta(minutes=10)
SEND_TIME = timedelta(minutes=5)
FIRST_TRY_GRACE = timedelta(minutes=2)  # the task that made it due makes the first try; the pass waits this long


def claim(rows, now):
    """Claim the row of `rows` (one row, not delivered) if it is due or was never tried: the lease, or None.

    A given-up row has attempts and no next try, and is never claimed again."""
    lease = now + DELIVERY_LEASE
    claimable = Q(next_delivery_at__lte=now) | Q(next_delivery_at__isnull=True, delivery_attempts=0)
    claimed = rows.filter(claimable).update(next_delivery_at=lease, delivery_attempts=F("delivery_attempts") + 1)
    return lease if claimed else None


def claim_due(undelivered, now, *, started, limit):
    """Claim the rows of `undelivered` due for a try, or never tried once the first try's grace is over
    (`started`: the field of when the row became deliverable): [(pk, lease)], oldest first."""
    never_tried = Q(
        next_delivery_at__isnull=True,
        delivery_attempts=0,
        **{f"{started}__range": (now - DELIVERY_DEADLINE, now - FIRST_TRY_GRACE)},
    )
    due = undelivered.filter(Q(next_delivery_at__lte=now) | never_tried).order_by(started)
    claimed = []
    for pk in due.values_list("pk", flat=True)[:limit]:
        lease = claim(undelivered.filter(pk=pk), now)
        if lease:
            claimed.append((pk, lease))
    return claimed


def take(rows, lease):
    """Make the claim `lease` this sender's for as long as a try can take; the row while it is, or None.

    A second delivery of the same task then finds the claim changed and sends nothing, and no pass takes
    the row while this one may still be sending."""
    sending = timezone.now() + SEND_TIME
    if not rows.filter(next_delivery_at=lease).update(next_delivery_at=sending):
        return None
    return rows.filter(next_delivery_at=sending)


def send_parts(parts, *, row, counter, already):
    """Send `parts` (calls, each sending one message or album) from `already` on, counting each in the
    field `counter` of `row` (a queryset of the one row) as soon as Telegram took it."""
    for number in range(already, len(parts)):
        parts[number]()
        row.filter(**{f"{counter}__lt": number + 1}).update(**{counter: number + 1})


def failed(mine, *, what, tries, started_at, error, alert):
    """A try that Telegram did not take: the next one after a backoff, or, after a day, operators told once."""
    if isinstance(error, sender.SendFailed):
        log.warning("%s: not delivered, try %s: %s", what, tries, error)
    else:
        log.exception("%s: not delivered, try %s", what, tries)
    now = timezone.now()
    if now >= (started_at or now) + DELIVERY_DEADLINE:
        if mine.update(next_delivery_at=None):
            alerts.alert_operators(*alert)
        return "gave up"
    mine.update(next_delivery_at=now + min(DELIVERY_BACKOFF * 2 ** min(tries - 1, 10), DELIVERY_BACKOFF_MAX))
    return "retrying"


def read(name):
    with default_storage.open(name, "rb") as file:
        return file.read()
