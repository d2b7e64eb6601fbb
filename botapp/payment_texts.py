"""What the bot says about buying credits (gettext, HTML like botapp.texts); what a worker sends about a
payment is in messaging/texts.py."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from botapp.texts import prices
from messaging.texts import credits, e, money, support_handle


def packs(pack_list):
    if not pack_list:
        return _("No credit packs are on sale right now. Please write to %(support)s.") % {
            "support": e(support_handle())
        }
    lines = [_("<b>Credit packs</b>")]
    for pack in pack_list:
        lines.append(
            _("• %(name)s: %(credits)s, %(price)s")
            % {"name": e(pack.name), "credits": credits(pack.credits), "price": pack_price(pack)}
        )
    lines.append(prices())
    return "\n".join(lines)


def pack_price(pack):
    """The pack's price in the payment methods on sale (settings.PAYMENT_METHODS), and only those."""
    rub, stars = f"{money(pack.price_rub)} ₽", f"{money(pack.price_stars)} ⭐"
    methods = settings.PAYMENT_METHODS
    if "yookassa" in methods and "stars" in methods:
        return _("%(rub)s or %(stars)s") % {"rub": rub, "stars": stars}
    return stars if "stars" in methods else rub


def pack_button(pack, method):
    if method == "stars":
        return f"{pack.name} · {pack.price_stars} ⭐"
    return f"{pack.name} · {money(pack.price_rub)} ₽"


def creating_link():
    return _("Creating the payment link…")


def pay_link(payment):
    return _(
        "Pack “%(name)s”: %(credits)s for %(rub)s ₽. Open the payment page to pay; I will write here as soon "
        "as the payment arrives."
    ) % {"name": e(payment.pack.name), "credits": credits(payment.credits), "rub": money(payment.amount)}


def pay_button(payment):
    return _("Pay %(rub)s ₽") % {"rub": money(payment.amount)}


def payment_unavailable():
    return _("The payment service is not answering right now. Please try again in a few minutes.")


def stars_mismatch(paid, currency, expected, *, refunded):
    """A Stars payment that did not match its invoice: never credited, and given back (or left to support)."""
    numbers = {
        "paid": f"{money(paid)} ⭐" if currency == "XTR" else f"{money(paid)} {e(currency)}",
        "expected": f"{money(expected)} ⭐",
    }
    if refunded:
        return (
            _(
                "The payment did not match the invoice: %(paid)s arrived instead of %(expected)s. No credits were "
                "added, and the Stars have been returned to you."
            )
            % numbers
        )
    return (
        _(
            "The payment did not match the invoice: %(paid)s arrived instead of %(expected)s. No credits were "
            "added. The Stars could not be returned automatically; support will return them: /paysupport."
        )
        % numbers
    )


def topup_limit(limit):
    return ngettext(
        "You can start %(limit)s purchase an hour. Please try again a little later.",
        "You can start up to %(limit)s purchases an hour. Please try again a little later.",
        limit,
    ) % {"limit": limit}


def pack_gone():
    return _("This pack is no longer on sale. Here are the current ones:")


def ask_email():
    return _(
        "For the receipt that the law (54-FZ) requires, send the email address it should go to. "
        "I will remember it; /email changes it."
    )


def email_invalid():
    return _("That does not look like an email address. Please send it like name@example.com.")


def email_saved(email):
    return _("Email saved: %(email)s. Receipts go there.") % {"email": e(email)}


def email_current(email):
    if not email:
        return _("No email for receipts yet. Send one to save it.")
    return _("Receipts go to %(email)s. To change it, send the new address.") % {"email": e(email)}


def paysupport():
    return _(
        "<b>Payments and refunds</b>\n"
        "Credits are added as soon as the payment arrives; if they are not there within a few minutes, write to "
        "%(support)s with your Telegram ID (/support shows it) and the time of the payment.\n"
        "A failed or cancelled generation returns its credits to your balance by itself.\n"
        "Unspent credits can be refunded: write to %(support)s. Purchases made with Telegram Stars are refunded "
        "in Stars."
    ) % {"support": e(support_handle())}


def invoice_title(pack):
    return _("%(credits)s for NeuroCards") % {"credits": credits(pack.credits)}


def invoice_description(pack):
    return _("Pack “%(name)s”: %(credits)s for marketing videos and product cards.") % {
        "name": pack.name,
        "credits": credits(pack.credits),
    }


def checkout_refused(reason):
    return {
        "inactive": _("This pack is no longer on sale: open /buy again."),
        "amount": _("The price has changed: open /buy again."),
        "blocked": _("Your access to the bot is suspended."),
        "expired": _("This invoice has expired, nothing was charged. Open /buy for a new one."),
    }.get(reason, _("This purchase can't be completed: open /buy again."))
