"""Messages about generations and alerts to operators, each sent once.

A message is claimed by setting its marker with a conditional UPDATE (NULL → now): a duplicate task,
a second worker or a retry finds the marker set and sends nothing. A user who blocked the bot is
skipped; when Telegram stays unreachable the marker is released so a later run may send it.
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from botapp import keyboards, payment_texts, sender, texts
from generations import storage
from generations.models import Generation
from neurocards.models import Alert

log = logging.getLogger(__name__)

MAX_VIDEO_UPLOAD = 50 * 1024 * 1024  # the Bot API's upload limit
MINUTES_A_VIDEO_TAKES = 5


def retrying(generation_id):
    _once(generation_id, "retry_sent_at", lambda g: sender.send_message(g.user.telegram_id, texts.retrying(g)))


def still_working(generation_id):
    _once(generation_id, "slow_sent_at", lambda g: sender.send_message(
        g.user.telegram_id, texts.still_working(g, MINUTES_A_VIDEO_TAKES)))


def failed(generation_id):
    _once(generation_id, "failure_sent_at", lambda g: sender.send_message(
        g.user.telegram_id, texts.failed(g), markup=keyboards.after_result(g)))


def result(generation_id):
    _once(generation_id, "result_sent_at", _send_result)


def alert_operators(key, text):
    """Tell ADMIN_CHAT_IDS once per incident; `resolve(key)` ends the incident."""
    _, opened = Alert.objects.get_or_create(key=key, defaults={"text": text[:2000]})
    if not opened:
        return False
    log.error("alert %s: %s", key, text)
    for chat_id in settings.ADMIN_CHAT_IDS:
        try:
            sender.send_message(chat_id, f"⚠️ {texts.e(text)}")
        except sender.SendFailed:
            log.error("alert %s: not delivered to %s", key, chat_id)
    return True


def resolve(*keys):
    Alert.objects.filter(key__in=keys).delete()


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
    chat_id, markup = generation.user.telegram_id, keyboards.after_result(generation)
    name = generation.result_file.name
    size = default_storage.size(name)
    if generation.kind == Generation.Kind.VIDEO:
        if size > MAX_VIDEO_UPLOAD:
            sender.send_message(chat_id, texts.result_link(generation, _public_url(generation)), markup=markup)
            return
        sender.send_file("sendVideo", chat_id, field="video", content=_read(name), filename=f"video_{generation.pk}.mp4",
                         caption=texts.result_ready(generation), markup=markup)
        return
    content = _read(name)
    # Telegram recompresses photos: the card also goes as a document, the original for the marketplace.
    sender.send_file("sendPhoto", chat_id, field="photo", content=content, filename=f"card_{generation.pk}.jpg",
                     caption=texts.result_ready(generation))
    sender.send_file("sendDocument", chat_id, field="document", content=content,
                     filename=f"card_{generation.pk}.jpg", caption=texts.card_original(), markup=markup)


def _read(name):
    with default_storage.open(name, "rb") as file:
        return file.read()


def _public_url(generation):
    # Signed for this generation's stored file and expiring: the storage itself is never public.
    return storage.result_link(generation)


def payment_credited(payment_id):
    from billing.models import Payment

    payment = Payment.objects.select_related("user").get(pk=payment_id)
    with translation.override(payment.user.language):
        sender.send_message(payment.user.telegram_id, payment_texts.payment_credited(payment, payment.user.balance))


def payment_canceled(payment_id):
    from billing.models import Payment

    payment = Payment.objects.select_related("user").get(pk=payment_id)
    if payment.cancellation_reason == "not created":
        return
    with translation.override(payment.user.language):
        sender.send_message(payment.user.telegram_id, payment_texts.payment_canceled(payment.cancellation_reason))
