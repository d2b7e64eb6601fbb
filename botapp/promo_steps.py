"""Promo codes in the bot: `/promo CODE`, or `/promo` (or the «У меня промокод» button) and the code next.

Each is a step of a locked Turn: the redemption is database work only, in the turn's transaction, so a
redelivered update stops at its recorded id and a code is never redeemed by the same update twice.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from billing import promo
from botapp import keyboards, texts
from messaging.texts import credits, e


def command(turn):
    """`/promo CODE` redeems at once; `/promo` alone asks for the code."""
    words = ((turn.message.text or "") if turn.message else "").split(maxsplit=1)
    if len(words) == 2:
        turn.reset()
        _redeem(turn, words[1])
    else:
        ask(turn)


def on_button(turn):
    if turn.data == "promo:ask":
        ask(turn)
    else:
        turn.toast(texts.stale_button())


def ask(turn):
    turn.reset()
    turn.go("promo")
    turn.say(_("Send your promo code in one message."), keyboards.step_nav())


def take_code(turn):
    """The message after the question: the code (a photo or a sticker is asked again, not counted as a try)."""
    typed = (turn.message.text or "").strip() if turn.message else ""
    if not typed:
        turn.say(_("Send the promo code as text, in one message."), keyboards.step_nav())
        return
    turn.reset()
    _redeem(turn, typed)


def _redeem(turn, typed):
    result = promo.redeem(user=turn.user, typed_code=typed, now=timezone.now())
    if result.credited:
        turn.user.balance = result.balance
        turn.say(answer(result), keyboards.to_menu())
    elif result.outcome == promo.UNKNOWN:
        # Most likely a typo: the next message is taken as the code again.
        turn.go("promo")
        turn.say(answer(result), keyboards.step_nav())
    else:
        turn.say(answer(result), keyboards.to_menu())


def answer(result):
    if result.credited:
        return _("Promo code accepted: +%(credits)s. Balance: %(balance)s.") % {
            "credits": credits(result.credits),
            "balance": credits(result.balance),
        }
    if result.outcome == promo.UNKNOWN:
        if not result.code:
            return _("That is not a promo code. Check it and send it again, or tap “Cancel”.")
        return _("There is no promo code %(code)s. Check it and send it again, or tap “Cancel”.") % {
            "code": f"<b>{e(result.code)}</b>"
        }
    return {
        promo.NOT_ACTIVE: _("This promo code is no longer valid."),
        promo.NOT_YET: _("This promo code is not valid yet."),
        promo.EXPIRED: _("This promo code has expired."),
        promo.USED_UP: _("This promo code has been used up."),
        promo.ALREADY_USED: _("You have already used this promo code."),
        promo.NEW_USERS_ONLY: _("This promo code is for new users only."),
        promo.TOO_MANY_TRIES: _("Too many wrong promo codes. Try again in an hour."),
    }[result.outcome]
