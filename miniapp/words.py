"""What the Mini App's API says in plain words, in the caller's language (the API activates it): a ledger
row for the credit history, a generation's status, why an action does not apply."""

from django.utils.translation import gettext as _

from billing.models import CreditTransaction
from messaging import texts

Kind = CreditTransaction.Kind
WELCOME_KEY = "grant:welcome:"  # the bot's welcome grant (botapp.turns._welcome: key welcome:<user pk>)


def history(row):
    """A ledger row as the seller reads it: "Purchase: 50 credits", "Video", "Refund for a video"…"""
    kind = row.kind
    generation = row.generation
    if kind == Kind.PURCHASE:
        return _("Purchase: %(credits)s") % {"credits": texts.credits(row.amount)}
    if kind == Kind.GENERATION_CHARGE:
        return _("Video") if generation is not None and generation.kind == "video" else _("Image card")
    if kind == Kind.GENERATION_REFUND:
        if generation is not None and generation.kind == "video":
            return _("Refund for a video")
        return _("Refund for an image card")
    if kind == Kind.MANUAL_GRANT:
        return _("Welcome gift") if row.idempotency_key.startswith(WELCOME_KEY) else _("Credited by support")
    return {
        Kind.MANUAL_REVOKE: _("Taken back by support"),
        Kind.PAYMENT_REFUND: _("Payment refunded"),
        Kind.REFERRAL_WELCOME: _("Gift for joining by a friend's invitation"),
        Kind.REFERRAL_REWARD: _("Reward for an invited friend's purchase"),
        Kind.REFERRAL_REWARD_TAKEN_BACK: _("Invitation reward taken back"),
        Kind.PROMO: _("Promo code"),
    }.get(kind, _("Balance change"))


def status(generation):
    return texts.status_name(generation.status)


def not_cancellable():
    return _("This order can no longer be cancelled: it has already finished.")


def not_ready():
    return _("This order is not ready yet.")


def bot_blocked():
    return _("The bot is blocked in your Telegram, so it can't send you files. Unblock it and try again.")


def result_gone():
    return _("This result is no longer stored, so it can't be sent again.")


def not_sent():
    return _("Telegram did not take the message. Please try again in a minute.")


def pack_gone():
    return _("This pack is no longer on sale.")


def email_required():
    return _("Receipts need your email: send /email in the bot's chat, then buy again.")


def payment_unavailable():
    return _("Payment is unavailable right now. Please try again later.")


def open_the_bot():
    return _("Open the bot's chat and press Start, then open the gallery again.")
