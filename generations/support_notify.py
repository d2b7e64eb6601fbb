"""What support's actions send to the user: a refund or cancel told once, and a result sent again.

The refund's message is claimed with the generation's `refund_sent_at` (NULL → now), as generations/notify.py
claims its markers: a resubmitted form, a second click, finds it set and sends nothing. A resend is claimed
by its form's key on its attempt-history row (GenerationEvent.key, unique), so one form sends once however
often it is submitted; a new form is a new resend.
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from generations import delivery, names, notify, storage
from generations.models import Generation, GenerationEvent
from messaging import keyboards, sender, texts

log = logging.getLogger(__name__)


TOLD, ALREADY_TOLD, NOT_TOLD = "told", "already told", "not told"


def tell_refunded_later(generation_id, *, cancelled):
    """Hand the refund's message to a worker once the caller's transaction commits (the refund is in it)."""
    transaction.on_commit(
        lambda: async_task(
            "generations.tasks.tell_support_refund", generation_id, cancelled, task_name=f"refund-told-{generation_id}"
        )
    )


def refunded(generation_id, *, cancelled):
    """Tell the user support refunded (or cancelled and refunded) this generation, once: TOLD, ALREADY_TOLD, or
    NOT_TOLD (the user blocked the bot, Telegram refused it or stayed unreachable; logged)."""
    now = timezone.now()
    if not Generation.objects.filter(pk=generation_id, refund_sent_at__isnull=True).update(refund_sent_at=now):
        return ALREADY_TOLD
    generation = Generation.objects.select_related("user").get(pk=generation_id)
    if generation.user.bot_blocked_at:
        log.info("generation %s: support refund not told, the user blocked the bot", generation_id)
        return NOT_TOLD
    try:
        with translation.override(generation.user.language):
            sent = sender.send_message(generation.user.telegram_id, refund_text(generation, cancelled=cancelled))
    except sender.SendFailed:
        # Given back: support may tell them with a new form once Telegram is reachable.
        Generation.objects.filter(pk=generation_id, refund_sent_at=now).update(refund_sent_at=None)
        log.warning("generation %s: support refund not told, Telegram unreachable", generation_id)
        return NOT_TOLD
    if sent is None:
        log.warning("generation %s: support refund not told, Telegram refused it", generation_id)
        return NOT_TOLD
    log.info("generation %s: support refund told", generation_id)
    return TOLD


def refund_text(generation, *, cancelled):
    values = {
        "credits": texts.credits(generation.cost),
        "product": texts.product_in_text(generation),
        "id": generation.pk,
        "balance": generation.user.balance,
    }
    if cancelled:
        text = _("Support cancelled order «%(product)s» (#%(id)s) and returned %(credits)s to your balance.")
    else:
        text = _("Support returned %(credits)s for order «%(product)s» (#%(id)s) to your balance.")
    return f"{text % values} " + _("Balance: %(balance)s.") % values


class NotResent(Exception):
    """Why a result could not be sent again, in words for staff."""


def resend_result(generation_id, *, key, actor):
    """Send a completed generation's result to the user's chat again, once per `key` (the form's, or the
    Mini App's Idempotency-Key; `actor` None: the seller asked for it there).

    Returns False when this key already sent it; raises NotResent with the reason when it can't go."""
    generation = Generation.objects.select_related("user").get(pk=generation_id)
    if generation.status != Generation.Status.COMPLETED:
        raise NotResent(_("it is not completed"))
    name = generation.result_file.name
    if not name or not default_storage.exists(name):
        raise NotResent(_("its file was already cleaned up"))
    if generation.user.bot_blocked_at:
        raise NotResent(_("the user blocked the bot"))
    try:
        with transaction.atomic():
            event = GenerationEvent.objects.create(
                generation_id=generation.pk, kind="resent", key=f"resend:{key}:{generation.pk}", detail=_by(actor)
            )
    except IntegrityError:
        return False
    try:
        with translation.override(generation.user.language):
            sent = _send(generation, name)
        if sent is None:
            # The sender logged Telegram's refusal (a 4xx) or marked the user as having blocked the bot.
            raise sender.SendFailed("refused")
    except (sender.SendFailed, OSError) as error:
        GenerationEvent.objects.filter(pk=event.pk).update(kind="resend failed", detail=f"{_by(actor)}: {error}"[:2000])
        raise NotResent(_("Telegram did not take it: %(error)s") % {"error": error}) from None
    # A delivery retry still due must not send it a second time.
    notify.result_resent(generation.pk)
    log.info("generation %s: result sent again by %s", generation.pk, f"staff {actor.pk}" if actor else "the user")
    return True


def _by(actor):
    with translation.override(settings.LANGUAGE_CODE):
        if actor is None:
            return _("by the user, from the Mini App")
        return _("by %(who)s") % {"who": actor.get_username()}


def _send(generation, name):
    """The result as first sent (generations/notify.py): its file, its caption, and the buttons under it."""
    chat_id, caption = generation.user.telegram_id, notify.caption(generation)
    markup = keyboards.after_result(generation)
    if generation.kind == Generation.Kind.VIDEO and default_storage.size(name) > notify.MAX_VIDEO_UPLOAD:
        number, total = names.place(generation)
        link = texts.result_link(generation, storage.result_link(generation), number=number, total=total)
        return sender.send_message(chat_id, link, markup=markup)
    number, total = names.place(generation)
    method, field = ("sendVideo", "video") if generation.kind == Generation.Kind.VIDEO else ("sendPhoto", "photo")
    return sender.send_file(
        method,
        chat_id,
        field=field,
        content=delivery.read(name),
        filename=names.file_name(generation, number, total),
        caption=caption,
        markup=markup,
    )
