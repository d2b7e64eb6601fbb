"""What the bot tells a user when support grants or revokes their credits, in the user's language.

The caller sends it only from the request whose ledger posting was created: the posting's key is the
form's, so a resubmitted form moves nothing and tells nobody twice. Staff's reason is not sent: it is
written for staff ("granted twice by mistake", a ticket number) and may name other people.
"""

import logging

from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import TelegramUser
from messaging import sender, texts

log = logging.getLogger(__name__)

SENT, BLOCKED, NOT_SENT = "sent", "blocked", "not sent"


def granted(amount, balance):
    return _("Support has added %(credits)s to your balance. Balance: %(balance)s.") % {
        "credits": texts.credits(amount),
        "balance": texts.credits(balance),
    }


def revoked(amount, balance):
    return _("Support has taken %(credits)s from your balance. Balance: %(balance)s.") % {
        "credits": texts.credits(amount),
        "balance": texts.credits(balance),
    }


def credits_moved(user, *, amount, balance):
    """Tell `user` that support moved `amount` credits (negative: revoked), leaving `balance`.

    SENT, BLOCKED (the user blocked the bot: nothing is sent), or NOT_SENT (Telegram refused or stayed
    unreachable; the credits moved all the same)."""
    if user.bot_blocked_at:
        log.info("user %s: credit change by support not told, the user blocked the bot", user.pk)
        return BLOCKED
    with translation.override(user.language):
        text = granted(amount, balance) if amount > 0 else revoked(-amount, balance)
    try:
        delivered = sender.send_message(user.telegram_id, text)
    except sender.SendFailed:
        log.warning("user %s: credit change by support not told, Telegram unreachable", user.pk)
        return NOT_SENT
    if delivered is None:
        # The sender marks a user who turned out to have blocked the bot; anything else Telegram refused.
        if TelegramUser.objects.filter(pk=user.pk, bot_blocked_at__isnull=False).exists():
            log.info("user %s: credit change by support not told, the user blocked the bot", user.pk)
            return BLOCKED
        log.warning("user %s: credit change by support not told, Telegram refused", user.pk)
        return NOT_SENT
    log.info("user %s: told of a credit change by support", user.pk)
    return SENT
