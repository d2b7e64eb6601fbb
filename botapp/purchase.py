"""Buying credits in the bot: packs, the email for receipts, YooKassa links and Stars invoices.

Steps run under the user's lock and only create our Payment row; the call to YooKassa is a django-q2
task enqueued at commit (the webhook never waits on YooKassa), the Stars invoice a reply after commit.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from billing import notify, services, yookassa
from billing.models import CreditPack, Payment
from botapp import keyboards, payment_texts, stars, texts
from botapp.turns import Reply
from messaging import sender
from messaging import texts as sent

log = logging.getLogger(__name__)

METHOD_CODES = {"yk": "yookassa", "st": "stars"}


def show_packs(turn, intro=None):
    active = list(CreditPack.objects.filter(is_active=True))
    text = payment_texts.packs(active) if intro is None else f"{intro}\n\n{payment_texts.packs(active)}"
    turn.say(text, _packs_keyboard(active))


def on_buy_button(turn):
    parts = turn.data.split(":")
    method = METHOD_CODES.get(parts[2]) if len(parts) == 3 else None
    pack = CreditPack.objects.filter(pk=int(parts[1])).first() if len(parts) == 3 and parts[1].isdigit() else None
    if pack is None or method is None:
        turn.toast(texts.stale_button())
    elif not pack.is_active:
        show_packs(turn, payment_texts.pack_gone())
    elif method == "yookassa" and settings.YOOKASSA_RECEIPTS and not turn.user.email:
        turn.reset()
        turn.go("email", pack=pack.pk)
        turn.say(payment_texts.ask_email(), keyboards.step_nav())
    else:
        _purchase(turn, pack, method)


def take_email(turn):
    text = (turn.message.text or "").strip() if turn.message else ""
    try:
        validate_email(text)
    except ValidationError:
        turn.say(payment_texts.email_invalid(), keyboards.step_nav())
        return
    turn.user.email = text[:254]
    turn.user.save(update_fields=["email", "updated_at"])
    pack_id = turn.flow.draft.get("pack")
    turn.reset()
    turn.say(payment_texts.email_saved(turn.user.email))
    pack = CreditPack.objects.filter(pk=pack_id, is_active=True).first() if pack_id else None
    if pack is not None:
        _purchase(turn, pack, "yookassa")


def ask_email(turn):
    turn.reset()
    turn.go("email")
    turn.say(payment_texts.email_current(turn.user.email), keyboards.step_nav())


def paysupport(turn):
    turn.say(payment_texts.paysupport(), keyboards.support())


def successful_payment(turn):
    """Stars: Telegram took the payment. Credit it once, keyed by its charge id; one that doesn't match its
    invoice is never credited but given back, after commit (a network call must not run under the lock)."""
    paid = turn.message.successful_payment
    payment = Payment.objects.filter(
        pk=_uuid(paid.invoice_payload), user=turn.user, method=Payment.Method.STARS
    ).first()
    if payment is None:
        log.error("stars payment with unknown payload, charge %s", paid.telegram_payment_charge_id)
        return
    if paid.currency != "XTR" or paid.total_amount != int(payment.amount):
        problem = (
            f"Stars paid {paid.total_amount} {paid.currency}, expected {payment.amount:.0f} XTR: not credited, "
            f"the Stars are given back"
        )
        if services.refuse_mismatch(
            payment=payment, provider_payment_id=paid.telegram_payment_charge_id, answer=paid.to_dict(), problem=problem
        ):
            turn.after(stars.refund_mismatch, payment.pk, turn.user.language)
        else:
            _second_charge(payment, paid.telegram_payment_charge_id)
        return
    result = services.credit(
        payment=payment, provider_payment_id=paid.telegram_payment_charge_id, answer=paid.to_dict()
    )
    if result.credited:
        turn.say(sent.payment_credited(payment, result.balance))
    else:
        _second_charge(payment, paid.telegram_payment_charge_id)


def _second_charge(payment, charge):
    # A redelivery carries the charge we stored. Another charge for an invoice already settled (the
    # pre-checkout should have refused it) is money taken twice: never silent.
    if payment.provider_payment_id is None:
        # Support credited it before Telegram's word came: the charge is recorded, so it can be refunded.
        services.record_charge(payment=payment, provider_payment_id=charge)
    elif payment.provider_payment_id != charge:
        services.flag(
            payment=payment,
            problem=f"a second Stars charge {charge} for this invoice was not credited: refund it to the buyer",
        )


def check_pre_checkout(query):
    """Within Telegram's 10 s: is this invoice still good? Returns (ok, reason)."""
    payment = (
        Payment.objects.select_related("pack", "user")
        .filter(pk=_uuid(query.invoice_payload), method=Payment.Method.STARS, user__telegram_id=query.from_user.id)
        .first()
    )
    if payment is None:
        return False, "unknown"
    # Expired by the schedule, or due to be: an old invoice is refused before Telegram takes the Stars.
    if payment.status == Payment.Status.EXPIRED or (
        payment.status == Payment.Status.PENDING
        and payment.created_at < timezone.now() - timedelta(hours=settings.STARS_INVOICE_HOURS)
    ):
        return False, "expired"
    if payment.status != Payment.Status.PENDING:
        return False, "unknown"
    if payment.user.is_blocked:
        return False, "blocked"
    if payment.pack is None or not payment.pack.is_active:
        return False, "inactive"
    if query.currency != "XTR" or query.total_amount != int(payment.amount):
        return False, "amount"
    return True, ""


def _purchase(turn, pack, method):
    try:
        payment = services.start_purchase(user=turn.user, pack=pack, method=method)
    except services.PurchaseRefused as refusal:
        turn.say(
            payment_texts.topup_limit(refusal.numbers["limit"])
            if refusal.reason == "hourly"
            else payment_texts.payment_unavailable()
        )
        return
    if method == "stars":
        turn.outcome.replies.append(
            Reply(
                invoice={
                    "title": payment_texts.invoice_title(pack),
                    "description": payment_texts.invoice_description(pack),
                    "payload": str(payment.pk),
                    "label": pack.name,
                    "amount": pack.price_stars,
                }
            )
        )
    else:
        # YooKassa may take its timeout three times over: a worker creates the payment and sends the link,
        # so the webhook answers at once (the toast says the link is coming).
        turn.toast(payment_texts.creating_link())
        transaction.on_commit(
            lambda: async_task("botapp.tasks.checkout", payment.pk, task_name=f"checkout-{payment.pk}")
        )


def checkout(payment_id):
    """A worker's task: create the YooKassa payment and send its link, once.

    django-q2 may run it twice: YooKassa answers a repeated Idempotence-Key (our row's id) with the same
    payment, and the message is claimed on the row before it is sent.
    """
    payment = Payment.objects.select_related("pack", "user").get(pk=payment_id)
    if payment.status == Payment.Status.PENDING and not payment.provider_payment_id:
        try:
            answer = yookassa.create_payment(payment, email=payment.user.email)
        except (yookassa.ResultUnknown, yookassa.Refused) as error:
            log.error("payment %s: YooKassa create failed: %s", payment_id, error)
            services.cancel(payment=payment, reason="not created")
        else:
            services.attach_provider_payment(payment=payment, answer=answer)
    notify.payment_once(payment_id, "link_sent_at", _send_link)


def _send_link(payment):
    chat_id = payment.user.telegram_id
    # A second delivery that found YooKassa down may have cancelled the row the first one created: no link then.
    if payment.confirmation_url and payment.status == Payment.Status.PENDING:
        button = InlineKeyboardButton(payment_texts.pay_button(payment), url=payment.confirmation_url)
        sender.send_message(chat_id, payment_texts.pay_link(payment), markup=InlineKeyboardMarkup([[button]]))
    elif payment.cancellation_reason == "not created":
        sender.send_message(chat_id, payment_texts.payment_unavailable())


def _packs_keyboard(active):
    codes = {method: code for code, method in METHOD_CODES.items()}
    rows = [
        [
            InlineKeyboardButton(
                payment_texts.pack_button(pack, method), callback_data=f"buy:{pack.pk}:{codes[method]}"
            )
            for method in settings.PAYMENT_METHODS
            if method in codes
        ]
        for pack in active
    ]
    return InlineKeyboardMarkup([*rows, keyboards.promo_row()])


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
