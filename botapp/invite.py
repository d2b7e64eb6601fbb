"""/invite: the user's personal link, a share button, and what inviting friends has brought so far.

The link is t.me/<bot>?start=ref_<code>; botapp.turns binds a newcomer who opens it to the inviter, at first
contact only. The bot's username comes from its getMe (the Application knows it once initialised), or from
BOT_URL when the update carries no bot.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from billing import referrals
from messaging.texts import credits, e


def show(turn):
    code = referrals.code_for(turn.user)
    link = invite_link(turn.update, code)
    turn.say(invite_text(link, referrals.invited(turn.user)), share_keyboard(link))


def invite_link(update, code):
    return f"https://t.me/{bot_username(update)}?start=ref_{code}"


def bot_username(update):
    try:
        username = update.get_bot().username
    except RuntimeError:  # an Update made without a bot
        username = ""
    return username or settings.BOT_URL.rstrip("/").rpartition("/")[2]


def invite_text(link, invited):
    lines = [
        _("Invite friends who sell on marketplaces. Here is your personal link:"),
        f"<code>{e(link)}</code>",
        "",
    ]
    if settings.REFERRAL_WELCOME_CREDITS > 0:
        lines.append(
            _("A friend who joins by it gets %(welcome)s on top of the usual welcome.")
            % {"welcome": credits(settings.REFERRAL_WELCOME_CREDITS)}
        )
    if settings.REFERRAL_REWARD_PERCENT > 0 and settings.REFERRAL_REWARDED_PAYMENTS > 0:
        lines.append(
            ngettext(
                "You get %(percent)s%% of the credits of their first purchase.",
                "You get %(percent)s%% of the credits of each of their first %(n)s purchases.",
                settings.REFERRAL_REWARDED_PAYMENTS,
            )
            % {"percent": settings.REFERRAL_REWARD_PERCENT, "n": settings.REFERRAL_REWARDED_PAYMENTS}
        )
    lines += [
        "",
        ngettext("%(n)s friend has joined so far", "%(n)s friends have joined so far", invited.friends)
        % {"n": invited.friends}
        + "; "
        + _("you have earned %(earned)s.") % {"earned": credits(invited.earned)},
    ]
    return "\n".join(lines)


def share_keyboard(link):
    query = urlencode({"url": link, "text": share_text()})
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("📨 Share the link"), url=f"https://t.me/share/url?{query}")]])


def share_text():
    return _("I make marketplace cards and videos from one product photo with this bot. Try it:")


def invited_welcome():
    """In the greeting of a newcomer who came by a friend's link (told once: only the first contact has it)."""
    return _("A friend invited you: %(welcome)s are added to your balance as a gift.") % {
        "welcome": credits(settings.REFERRAL_WELCOME_CREDITS)
    }


def already_joined():
    """An existing user opened an invite link: nothing changes (invites bind at first contact only)."""
    return _("You are already with us, so the invite link changes nothing. Good to see you again!")
