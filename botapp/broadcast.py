"""One text to every user who has not blocked the bot, through the paced sender, resumable.

Users go in order of id and the position (the last user done) is saved with the counts after every
user, so a stop (Ctrl-C, a crash, Telegram unreachable) loses nothing: the same text run again carries
on after it. The open broadcast of a text is claimed by the process sending it, so two runs never
send everyone two copies.
"""

import hashlib
import os
import socket
import uuid
from datetime import timedelta
from html.parser import HTMLParser

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import TelegramUser
from botapp.models import Broadcast
from messaging import sender

MAX_LENGTH = 4096
BATCH = 500
# Longer than one message can take with all the sender's retries, so a live run keeps its claim.
CLAIM = timedelta(minutes=15)
# So many messages in a row lost after every retry means Telegram is unreachable, not one chat's
# trouble: stop before them, so the next run tries them again rather than passing them by.
UNREACHABLE_IN_A_ROW = 5
# What Telegram's parse_mode=HTML knows; any other tag makes Telegram refuse every copy.
TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)


class BroadcastError(Exception):
    pass


def clean_text(text):
    """The text as it will be sent, or BroadcastError saying what is wrong with it."""
    text = (text or "").strip()
    if not text:
        raise BroadcastError("The text is empty.")
    if len(text) > MAX_LENGTH:
        raise BroadcastError(f"The text is {len(text)} characters; Telegram takes at most {MAX_LENGTH}.")
    problems = _Tags.problems_in(text)
    if problems:
        raise BroadcastError("Telegram would refuse this HTML: " + "; ".join(problems[:3]) + ".")
    return text


def recipients(*, after=0):
    return TelegramUser.objects.filter(bot_blocked_at__isnull=True, pk__gt=after).order_by("pk")


def latest_for(text):
    return Broadcast.objects.filter(text_hash=_hash(text)).order_by("-pk").first()


def audience(text, *, restart=False):
    """(the broadcast a run would continue or None, how many users it would send to now)."""
    latest = latest_for(text)
    if latest is not None and latest.finished_at and not restart:
        return latest, 0
    after = latest.last_user_id if latest is not None and not restart else 0
    return latest, recipients(after=after).count()


def open_broadcast(text, *, restart=False):
    """The text's open broadcast (reset to the first user on `restart`), a new one, or its finished one."""
    latest = latest_for(text)
    if latest is not None and latest.finished_at is None:
        if restart:
            reset = _unclaimed(latest).update(last_user_id=0, sent=0, failed=0, skipped=0)
            latest.refresh_from_db()
            if not reset:
                raise _busy(latest)
        return latest
    if latest is not None and not restart:
        return latest
    try:
        with transaction.atomic():
            return Broadcast.objects.create(text=text, text_hash=_hash(text))
    except IntegrityError:
        # Another run opened it a moment ago; the claim decides which of us sends.
        return Broadcast.objects.get(text_hash=_hash(text), finished_at__isnull=True)


def deliver(broadcast, *, progress=None, stop=lambda: False):
    """Send to every user after the position until none is left or `stop()` says so; returns the broadcast.

    `progress(done, total)` after every user of this run. A KeyboardInterrupt leaves the position saved.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _unclaimed(broadcast).update(claimed_by=holder, claimed_until=timezone.now() + CLAIM):
        broadcast.refresh_from_db()
        raise _busy(broadcast)
    try:
        broadcast.refresh_from_db()
        total, done = recipients(after=broadcast.last_user_id).count(), 0
        unreachable, before_unreachable = 0, None
        while not stop():
            # Re-read batch by batch: users who block the bot meanwhile drop out, new ones join the end.
            batch = list(recipients(after=broadcast.last_user_id).values_list("pk", "telegram_id")[:BATCH])
            if not batch:
                broadcast.finished_at = timezone.now()
                _save(broadcast, holder)
                break
            for user_id, telegram_id in batch:
                outcome = _send(broadcast.text, user_id=user_id, telegram_id=telegram_id)
                unreachable = unreachable + 1 if outcome == "unreachable" else 0
                if unreachable == 1:
                    before_unreachable = (broadcast.last_user_id, broadcast.failed)
                counted = "failed" if outcome == "unreachable" else outcome
                setattr(broadcast, counted, getattr(broadcast, counted) + 1)
                broadcast.last_user_id = user_id
                if unreachable >= UNREACHABLE_IN_A_ROW:
                    broadcast.last_user_id, broadcast.failed = before_unreachable
                    _save(broadcast, holder)
                    raise BroadcastError(
                        f"{broadcast}: Telegram unreachable, {unreachable} messages in a row failed after every "
                        f"retry; stopped before them (after user {broadcast.last_user_id}). Run again to resume."
                    )
                _save(broadcast, holder)
                done += 1
                if progress:
                    progress(done, max(total, done))
                if stop():
                    break
    finally:
        Broadcast.objects.filter(pk=broadcast.pk, claimed_by=holder).update(claimed_by="", claimed_until=None)
    return broadcast


def _send(text, *, user_id, telegram_id):
    try:
        answer = sender.send_message(telegram_id, text)
    except sender.SendFailed:
        return "unreachable"
    if answer is not None:
        return "sent"
    # No answer: the user blocked the bot (the sender has marked them), or Telegram refused the message.
    blocked = TelegramUser.objects.filter(pk=user_id, bot_blocked_at__isnull=False).exists()
    return "skipped" if blocked else "failed"


def _save(broadcast, holder):
    saved = Broadcast.objects.filter(pk=broadcast.pk, claimed_by=holder).update(
        last_user_id=broadcast.last_user_id,
        sent=broadcast.sent,
        failed=broadcast.failed,
        skipped=broadcast.skipped,
        finished_at=broadcast.finished_at,
        claimed_until=timezone.now() + CLAIM,
    )
    if not saved:
        raise BroadcastError(f"{broadcast}: another run took it over (this one stalled past its claim); stopped.")


def _unclaimed(broadcast):
    return Broadcast.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()), pk=broadcast.pk, finished_at__isnull=True
    )


def _busy(broadcast):
    if broadcast.finished_at:
        return BroadcastError(f"{broadcast} has just finished.")
    until = timezone.localtime(broadcast.claimed_until)
    return BroadcastError(
        f"{broadcast} is being sent by {broadcast.claimed_by} (claimed until {until:%H:%M:%S}); "
        "if that process is gone, run again after then."
    )


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


class _Tags(HTMLParser):
    @classmethod
    def problems_in(cls, text):
        parser = cls()
        parser.feed(text)
        parser.close()
        return parser.problems + [f"<{tag}> is never closed" for tag in reversed(parser.open)]

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        if tag in TAGS:
            self.open.append(tag)
        else:
            self.problems.append(f"<{tag}> is not a tag Telegram knows" + (" (use a new line)" if tag == "br" else ""))

    def handle_startendtag(self, tag, attrs):
        self.problems.append(f"<{tag}/> is not a tag Telegram knows")

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.problems.append(f"</{tag}> closes no open <{tag}>")
