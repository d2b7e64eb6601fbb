"""python-telegram-bot routing: which step handles which update, and delivery of what it decided."""

import asyncio
import contextvars
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.utils import timezone, translation
from telegram import LabeledPrice, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from accounts.models import TelegramUser, language_for
from botapp import commands, flow, invite, payment_texts, promo_steps, purchase, texts
from botapp.turns import record, run_turn

log = logging.getLogger(__name__)

COMMANDS = {
    "start": commands.start,
    "menu": commands.main_menu,
    "balance": commands.balance,
    "buy": purchase.show_packs,
    "paysupport": purchase.paysupport,
    "email": purchase.ask_email,
    "history": commands.history,
    "cancel": commands.ask_cancel,
    "support": commands.support,
    "help": commands.help_,
    "privacy": commands.privacy,
    "invite": invite.show,
    "promo": promo_steps.command,
}
CALLBACKS = {
    r"^menu:": commands.on_menu,
    r"^flow:": flow.on_button,
    r"^cx:": commands.on_cancel_button,
    r"^gen:": commands.on_generation_button,
    r"^buy:": purchase.on_buy_button,
    r"^promo:": promo_steps.on_button,
}
# Retry a reply once when Telegram asks for a short pause; a longer one is not worth holding the update.
MAX_REPLY_PAUSE = 5
# The database going away or a deadlock: nothing of the update was recorded, so it is worth delivering again.
# Anything else is a bug, and the same update would fail the same way.
TRANSIENT = (OperationalError, InterfaceError)


@dataclass
class _Delivery:
    """What the handlers learnt about the update being processed, for the webhook's answer."""

    redeliver: bool = False  # failed on a transient database error before anything was recorded
    committed: bool = False  # its step committed (the update is recorded)


_delivery = contextvars.ContextVar("delivery")


async def process(application, update):
    """Handle one update; False when Telegram should deliver it again (a transient database error)."""
    state = _Delivery()
    token = _delivery.set(state)  # handlers and the error handler run in this task, so they see it
    try:
        await application.process_update(update)
    finally:
        _delivery.reset(token)
    return not state.redeliver


def _state():
    # Polling (`runbot`) has no webhook to answer: a throw-away record.
    return _delivery.get(None) or _Delivery()


def _redeliver(update, error):
    log.warning(
        "update %s: database unavailable (%s), left for Telegram to deliver again",
        update.update_id,
        type(error).__name__,
    )
    _state().redeliver = True


def in_thread(func):
    """Run ORM code off the event loop, in a pool thread, and tidy its connection as a request would.

    Not thread-sensitive: one user's update waiting for their row lock must not hold up the others.
    Tidying (which makes the next query check the connection first) is done after a database error at
    once and otherwise every few seconds, not on every update.
    """

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DatabaseError:
            close_old_connections()
            raise
        finally:
            _tidy()

    return sync_to_async(run, thread_sensitive=False, executor=db_threads())


DB_THREAD_PREFIX = "web-db"


@functools.cache
def db_threads():
    """The pool that runs the webhook's ORM code: WEB_DB_THREADS threads, so as many connections.

    Every thread keeps its own persistent connection (CONN_MAX_AGE), so the loop's default executor
    (min(32, cpus + 4) threads) meant 20 connections per web process on 16 cores. A bounded executor
    bounds exactly the threads that hold connections and keeps Django's persistent connections as
    they are; psycopg's pool would bound them too, but it needs CONN_MAX_AGE=0 and a new dependency,
    it would reach the django-q2 cluster's forked processes as well (which hold one connection each
    and need no pool), and an update would then wait for a connection, with a pool timeout of its own,
    instead of for a thread. Steps hold no lock across a network call, so a few threads suffice.
    """
    return ThreadPoolExecutor(max_workers=settings.WEB_DB_THREADS, thread_name_prefix=DB_THREAD_PREFIX)


def close_request_thread_connections(**kwargs):
    """At request_finished: a thread made for one request closes its connections with the request.

    Under ASGI Django runs each sync view (the YooKassa notification, the admin, /readyz) in a thread of
    its own, made for that request; a persistent connection there outlives the request and the thread
    until the garbage collector finds it, so such connections piled up beyond any sizing. The webhook's
    threads live on and keep theirs; the main thread (the test client, management commands) is left alone.
    """
    thread = threading.current_thread()
    if thread is not threading.main_thread() and not thread.name.startswith(DB_THREAD_PREFIX):
        connections.close_all()


_tidied = threading.local()
TIDY_EVERY = 10.0


def _tidy():
    now = time.monotonic()
    if not settings.DATABASES["default"].get("CONN_MAX_AGE") or now - getattr(_tidied, "at", 0.0) >= TIDY_EVERY:
        close_old_connections()
        _tidied.at = now


def register(application):
    # An update is recorded as handled by the handler that handles it, in the transaction of its changes
    # (see each below), so that one whose changes did not commit is run again when Telegram redelivers it.
    application.add_handler(MessageHandler(~filters.ChatType.PRIVATE, not_private), group=-1)
    application.add_handler(ChatMemberHandler(chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=-1)
    application.add_handler(PreCheckoutQueryHandler(pre_checkout), group=-1)
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, as_handler(purchase.successful_payment)))
    for name, step in COMMANDS.items():
        application.add_handler(CommandHandler(name, as_handler(step)))
    for pattern, step in CALLBACKS.items():
        application.add_handler(CallbackQueryHandler(as_handler(step), pattern=pattern))
    application.add_handler(CallbackQueryHandler(as_handler(stale_button)))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, as_handler(commands.unknown_command))
    )
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, as_handler(flow.on_message)))
    application.add_error_handler(on_error)


def as_handler(step):
    async def handle(update, context):
        try:
            outcome = await in_thread(run_turn)(update, step)
        except TRANSIENT as error:
            _redeliver(update, error)
            return
        if outcome.duplicate:
            log.info("update %s: already handled, skipped", update.update_id)
            return
        _state().committed = True
        await deliver(context.bot, update, outcome)

    handle.__name__ = getattr(step, "__name__", "step")
    return handle


def stale_button(turn):
    turn.toast(texts.stale_button())


async def not_private(update, context):
    """A command in a group gets a hint and nothing else. The hint is its only effect, so the update is
    recorded just before it: a redelivery says nothing twice (a process dying in between loses the hint)."""
    message = update.effective_message
    if message and message.text and message.text.startswith("/") and await in_thread(record)(update.update_id):
        with translation.override(_language(update)):
            await _send_quietly(context.bot, update.effective_chat.id, texts.private_only())
    raise ApplicationHandlerStop


async def chat_member(update, context):
    """The user blocked or unblocked the bot: stop or resume sending to them.

    Recorded with the change: a redelivered one that committed is skipped (an old "blocked" can't undo a
    newer "unblocked"); one that did not is applied when it comes again."""
    member = update.my_chat_member
    if member.chat.type != "private":
        raise ApplicationHandlerStop
    blocked = member.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    try:
        await in_thread(_mark_bot_blocked_once)(update.update_id, member.from_user.id, blocked)
    except TRANSIENT as error:
        _redeliver(update, error)
    raise ApplicationHandlerStop


def _mark_bot_blocked_once(update_id, telegram_id, blocked):
    with transaction.atomic():
        if record(update_id):
            _mark_bot_blocked(telegram_id, blocked)


def _mark_bot_blocked(telegram_id, blocked):
    TelegramUser.objects.filter(telegram_id=telegram_id).update(
        bot_blocked_at=timezone.now() if blocked else None, updated_at=timezone.now()
    )


async def deliver(bot, update, outcome):
    query = update.callback_query
    if query is not None:
        # Answered before anything else so the button stops spinning at once.
        try:
            await query.answer(text=outcome.toast)
        except TelegramError as error:
            log.warning("update %s: answerCallbackQuery failed: %s", update.update_id, type(error).__name__)
    for reply in outcome.replies:
        await send(bot, outcome.chat_id, reply, update_id=update.update_id)
    # Only Telegram's own calls (the photo's download, a Stars refund) run here, bounded by their timeouts;
    # anything that talks to another service (YooKassa, KIE, OpenAI) is a django-q2 task.
    for func, args in outcome.actions:
        for reply in await in_thread(func)(*args):
            await send(bot, outcome.chat_id, reply, update_id=update.update_id)


async def send(bot, chat_id, reply, *, update_id=None):
    for attempt in (1, 2):
        try:
            return await _send_once(bot, chat_id, reply)
        except RetryAfter as error:
            pause = _seconds(error.retry_after)
            if attempt == 2 or pause > MAX_REPLY_PAUSE:
                raise
            await asyncio.sleep(pause)
        except Forbidden:
            log.info("update %s: user blocked the bot; reply dropped", update_id)
            await in_thread(_mark_bot_blocked)(chat_id, True)
            return None


async def _send_once(bot, chat_id, reply):
    if reply.invoice is not None:
        invoice = reply.invoice
        # Stars: currency XTR, no provider token, exactly one price in whole Stars.
        return await bot.send_invoice(
            chat_id,
            invoice["title"],
            invoice["description"],
            invoice["payload"],
            currency="XTR",
            prices=[LabeledPrice(invoice["label"], invoice["amount"])],
        )
    if reply.media is None:
        return await bot.send_message(chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)
    kind, name = reply.media
    content = await in_thread(_read)(name)
    sender = bot.send_video if kind == "video" else bot.send_photo
    return await sender(chat_id, content, caption=reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)


def _read(name):
    with default_storage.open(name, "rb") as file:
        return file.read()


def _seconds(retry_after):
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)


async def _send_quietly(bot, chat_id, text):
    try:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as error:
        log.warning("chat %s: message not sent: %s", chat_id, type(error).__name__)


def _language(update):
    return language_for(update.effective_user.language_code if update.effective_user else "")


async def pre_checkout(update, context):
    """Answered at once (Telegram allows 10 s): the pack still on sale, the amount right, the user allowed.

    Not recorded: it changes nothing of ours, and a redelivery means Telegram had no answer from us, so it
    is checked and answered again (a second answer to one query is only refused by Telegram). The
    successful_payment that follows is a step, and is credited once by its charge id besides."""
    query = update.pre_checkout_query
    try:
        ok, reason = await in_thread(purchase.check_pre_checkout)(query)
    except TRANSIENT as error:
        _redeliver(update, error)
        raise ApplicationHandlerStop from None
    if ok:
        await query.answer(ok=True)
    else:
        with translation.override(_language(update)):
            await query.answer(ok=False, error_message=payment_texts.checkout_refused(reason))
        log.info("update %s: pre-checkout refused (%s)", update.update_id, reason)
    raise ApplicationHandlerStop


async def on_error(update, context):
    """A bug: logged, the user gets an apology, and the webhook still answers 200 (one bad update never
    blocks the chat). A step that failed took its record with it: the update is recorded now, so that a
    redelivery of it is neither run nor apologised for again."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s: handler failed", update_id, exc_info=context.error)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None or chat.type != "private":
        return
    if not _state().committed:  # after a commit (a reply failed) it is recorded, and this is its one delivery
        try:
            if not await in_thread(record)(update_id):
                return
        except TRANSIENT as error:
            _redeliver(update, error)
            return
    with translation.override(_language(update)):
        await _send_quietly(context.bot, chat.id, texts.apology())
