"""One update of one user, handled under that user's row lock: decide first, talk to Telegram after.

`run_turn` records the update id, locks the user's row (and so the flow), applies the gate (blocked
users, flooding), runs a step and saves the flow, all in one transaction. The step only *records*
what to say; the caller sends it after commit, so no row lock is ever held across a call to Telegram.
An update whose step did not commit (rolled back, or the process died) left no record, so Telegram's
redelivery of it runs the step again; a duplicate of one that committed stops at the record.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from accounts.models import TelegramUser
from billing import ledger, referrals
from botapp import texts
from botapp.models import FlowState, ProcessedUpdate

ACTIVITY_RESOLUTION = timedelta(minutes=1)
# `/start <payload>` of a t.me link: an invite (ref_<code>) or a campaign (src_<name>), as Telegram allows payloads.
START_PAYLOAD = re.compile(r"^(ref|src)_([A-Za-z0-9_-]{1,64})$")


@dataclass
class Reply:
    text: str = ""
    markup: object = None
    # ("video" | "photo" | "document", storage name) to send a stored file instead of a text
    media: tuple | None = None
    # A Stars invoice: title, description, payload, label, amount
    invoice: dict | None = None


@dataclass
class Outcome:
    chat_id: int | None = None
    replies: list = field(default_factory=list)
    toast: str | None = None
    # Set by the gate: the update was dropped (flooding) and needs no answer beyond the toast.
    dropped: bool = False
    # The update was handled before (a redelivery): nothing to say.
    duplicate: bool = False
    # (function, args) run after commit, off the event loop, for the few calls to Telegram itself that a
    # step needs (a photo's download, a Stars refund); each returns more Replies. Other services: a task.
    actions: list = field(default_factory=list)


class Turn:
    """What a step sees: the locked user and flow, the update, and where to put its replies."""

    def __init__(self, *, user, flow, update, outcome, joined=False):
        self.user, self.flow, self.update, self.outcome = user, flow, update, outcome
        # This update made the user's row (first contact): the greeting tells of an invite's welcome then.
        self.joined = joined

    @property
    def message(self):
        return self.update.effective_message if self.update.callback_query is None else None

    @property
    def data(self):
        query = self.update.callback_query
        return query.data or "" if query else ""

    def say(self, text, markup=None):
        self.outcome.replies.append(Reply(text, markup))

    def send_media(self, kind, name, caption, markup=None):
        self.outcome.replies.append(Reply(caption, markup, media=(kind, name)))

    def toast(self, text):
        self.outcome.toast = text

    def after(self, func, *args):
        self.outcome.actions.append((func, args))

    def go(self, step, **draft):
        self.flow.step = step
        self.flow.draft.update(draft)

    def reset(self):
        self.flow.step, self.flow.draft = "idle", {}


def run_turn(update, step):
    """Handle one update with `step(turn)`; returns the Outcome to deliver (after commit)."""
    sender = update.effective_user
    chat = update.effective_chat
    outcome = Outcome(chat_id=chat.id if chat else None)
    if sender is None or sender.is_bot:
        return outcome
    with transaction.atomic():
        # First, before the user's lock: a second delivery of this update waits here on the unique index
        # until the first commits (then stops) or rolls back (then runs the step itself).
        if not record(update.update_id):
            outcome.duplicate = True
            return outcome
        user, flow, created = _load_locked(sender, start_payload(update))
        turn = Turn(user=user, flow=flow, update=update, outcome=outcome, joined=created)
        with translation.override(user.language):
            if created:
                _welcome(user)
            if _flooding(flow, turn) or user.is_blocked:
                if not outcome.dropped:
                    turn.say(texts.blocked())
                flow.save(update_fields=["window_started_at", "window_count", "slowed_down", "updated_at"])
                return outcome
            step(turn)
            flow.save()
    return outcome


def record(update_id):
    """Record an update as handled, in the caller's transaction; False when it was already.

    One statement, INSERT … ON CONFLICT DO NOTHING, where a savepoint around a plain INSERT took three round
    trips on every update. The same under races: a second delivery of an update being handled waits on the
    unique index until the first one's transaction ends, then inserts nothing (it committed) or records it
    (it rolled back), and the caller's transaction goes on either way. (SQLite 3.35 or later, for RETURNING.)
    """
    table = connection.ops.quote_name(ProcessedUpdate._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (update_id, received_at) VALUES (%s, %s) ON CONFLICT (update_id) DO NOTHING "
            "RETURNING id",
            [update_id, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        return cursor.fetchone() is not None


def start_payload(update):
    """(kind, value) of a `/start ref_<code>` or `/start src_<campaign>`, else (None, None)."""
    message = update.effective_message if update.callback_query is None else None
    words = (message.text or "").split() if message else []
    if len(words) != 2 or words[0].split("@")[0] != "/start":
        return None, None
    match = START_PAYLOAD.match(words[1])
    return (match[1], match[2]) if match else (None, None)


def _load_locked(sender, payload=(None, None)):
    """The user's flow and user rows, locked for this transaction; created on first contact."""
    now = timezone.now()
    flow = FlowState.objects.select_related("user").select_for_update().filter(user__telegram_id=sender.id).first()
    created = False
    if flow is None:
        flow, created = _first_contact(sender, now, _attribution(sender, payload))
    user = flow.user
    profile = _profile(sender)
    stale = user.last_activity_at is None or now - user.last_activity_at >= ACTIVITY_RESOLUTION
    if stale or any(getattr(user, name) != value for name, value in profile.items()):
        # Refresh names and language; last activity is kept to the minute to spare a write per update.
        profile["last_activity_at"] = now
        TelegramUser.objects.filter(pk=user.pk).update(**profile, updated_at=now)
        for name, value in profile.items():
            setattr(user, name, value)
    return user, flow, created


def _attribution(sender, payload):
    """Who invited a new user and the campaign they came by: recorded with the row, at first contact only.
    An unknown invite code (or the newcomer's own) is ignored quietly."""
    kind, value = payload
    if kind == "ref":
        return {"referred_by": referrals.referrer_for(value, telegram_id=sender.id)}
    if kind == "src":
        return {"campaign": value}
    return {}


def _first_contact(sender, now, attribution):
    """Create the user and their flow. Rows we insert are ours until commit, so they need no lock."""
    try:
        with transaction.atomic():  # a savepoint: a concurrent first update of this user may win
            user = TelegramUser.objects.create(
                telegram_id=sender.id, last_activity_at=now, **attribution, **_profile(sender)
            )
            return FlowState.objects.create(user=user), True
    except IntegrityError:
        flow = FlowState.objects.select_related("user").select_for_update().filter(user__telegram_id=sender.id)
        return flow.first() or FlowState.objects.create(user=TelegramUser.objects.get(telegram_id=sender.id)), False


def _profile(sender):
    return {
        "username": (sender.username or "")[:64],
        "first_name": (sender.first_name or "")[:128],
        "last_name": (sender.last_name or "")[:128],
        "language_code": (sender.language_code or "")[:16],
    }


def _welcome(user):
    if settings.WELCOME_CREDITS > 0:
        posting = ledger.grant_credits(
            user=user, amount=settings.WELCOME_CREDITS, actor=None, reason="welcome credits", key=f"welcome:{user.pk}"
        )
        user.balance = posting.balance
    if user.referred_by_id and settings.REFERRAL_WELCOME_CREDITS > 0:
        posting = ledger.grant_referral_welcome(user=user, amount=settings.REFERRAL_WELCOME_CREDITS)
        user.balance = posting.balance


def _flooding(flow, turn):
    """Count the update in the user's one-minute window; True when it must be dropped."""
    now = timezone.now()
    if flow.window_started_at is None or now - flow.window_started_at >= timedelta(minutes=1):
        flow.window_started_at, flow.window_count, flow.slowed_down = now, 0, False
    flow.window_count += 1
    if flow.window_count <= settings.FLOOD_UPDATES_PER_MINUTE:
        return False
    turn.outcome.dropped = True
    if not flow.slowed_down:
        flow.slowed_down = True
        turn.say(texts.slow_down())
    return True


def new_token():
    return uuid.uuid4().hex
