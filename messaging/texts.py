"""What the domain sends to users through the Bot API (results, failures, payments), and the helpers the
bot's own texts share: gettext (Russian by default, English for `en*` users), HTML (parse_mode HTML).

Anything a user typed is escaped with `e()` before it goes in. The functions take plain values or any
object with the fields they read (a generation's pk, kind, template, title, description, cost, error_class;
a payment's credits):
messaging imports no domain app.
"""

from html import escape

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def e(value):
    return escape(str(value), quote=False)


def credits(n):
    return ngettext("%(n)s credit", "%(n)s credits", n) % {"n": n}


def kind_name(kind):
    return _("video") if kind == "video" else _("image card")


def how_many(kind, count):
    """ "3 videos", "1 image card": a count that agrees with its noun in every language."""
    if kind == "video":
        return ngettext("%(n)s video", "%(n)s videos", count) % {"n": count}
    return ngettext("%(n)s image card", "%(n)s image cards", count) % {"n": count}


def template_name(template, kind=""):
    """A template as the seller knows it: what it makes, in plain words (buttons, confirmation, captions, history).

    "own" is the seller's own prompt: a script for a video, a description of the picture for a card.
    """
    if template == "own" and kind:
        return _("My own script") if kind == "video" else _("My own picture description")
    return {
        "ugc": _("Buyer's video review"),
        "ad": _("Promo video"),
        "ozon_cover": _("Ozon video cover"),
        "studio": _("Studio shot (for the main photo)"),
        "lifestyle": _("Product in a setting"),
        "infographic": _("Infographic with selling points"),
        "own": _("My own description"),
    }.get(template, template)


def format_name(name):
    """Where a card goes (generations.formats), as the seller knows it."""
    return {
        "wb_ozon": _("Wildberries / Ozon, 3:4"),
        "ym_square": _("Yandex Market, square 1:1"),
        "ym_portrait": _("Yandex Market, 3:4"),
        "stories": _("Stories and reels, 9:16"),
    }.get(name, name)


def duration_name(seconds):
    return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}


def status_name(status):
    return {
        "queued": _("in the queue"),
        "submitting": _("in the works"),
        "processing": _("in the works"),
        "completed": _("ready"),
        "failed": _("failed, credits returned"),
        "cancelled": _("cancelled, credits returned"),
    }.get(status, status)


def support_handle():
    return f"@{settings.SUPPORT_USERNAME}" if settings.SUPPORT_USERNAME else "/support"


# --- Generation events (sent by workers) ----------------------------------------------------

PRODUCT_IN_TEXT = 60  # characters of the product's name a caption quotes


def product(generation):
    """The product as the seller named it, as typed: the short title, or else the description's first line."""
    lines = [line.strip() for line in (generation.description or "").splitlines() if line.strip()]
    return (generation.title or "").strip() or (lines[0] if lines else "")


def product_in_text(generation):
    """The product's name for a message: shortened to fit a caption's line, escaped; the kind if it has none."""
    name = product(generation)
    if len(name) > PRODUCT_IN_TEXT:
        name = name[: PRODUCT_IN_TEXT - 1].rstrip() + "…"
    return e(name) if name else kind_name(generation.kind).capitalize()


def result_ready(generation, *, number=1, total=1):
    """ "Термокружка 350 мл — карточка №2 из 5 готова · #123": the generation's id is for support."""
    values = {"product": product_in_text(generation), "number": number, "total": total, "id": generation.pk}
    if generation.kind == "video":
        if total > 1:
            return _("%(product)s — video %(number)s of %(total)s is ready · #%(id)s") % values
        return _("%(product)s — the video is ready · #%(id)s") % values
    if total > 1:
        return _("%(product)s — card %(number)s of %(total)s is ready · #%(id)s") % values
    return _("%(product)s — the card is ready · #%(id)s") % values


def result_link(generation, url, *, number=1, total=1):
    return "\n".join(
        [
            result_ready(generation, number=number, total=total),
            _("The video is too large to send in Telegram, so here is a link to download it: %(url)s")
            % {"url": e(url)},
        ]
    )


def original_file():
    return _("The file in its original quality, without Telegram's compression: upload it to the marketplace.")


def original_files():
    return _("The files in their original quality, without Telegram's compression: upload them to the marketplace.")


def order_done(generation, *, done, total):
    """The closing message of an order whose last result could not know it was the last."""
    if not done:
        return _("Nothing of this order worked out: %(product)s. Its credits are back on your balance.") % {
            "product": product_in_text(generation)
        }
    return _("The order is complete: %(product)s, %(done)s of %(total)s ready.") % {
        "product": product_in_text(generation),
        "done": done,
        "total": total,
    }


def retrying(generation):
    values = {"id": generation.pk, "product": product_in_text(generation)}
    if generation.kind == "video":
        return (
            _(
                "Video #%(id)s (%(product)s) is taking longer than usual: the generation service had a hiccup, and I "
                "am trying again. Nothing to do on your side."
            )
            % values
        )
    return (
        _(
            "Card #%(id)s (%(product)s) is taking longer than usual: the generation service had a hiccup, and I "
            "am trying again. Nothing to do on your side."
        )
        % values
    )


def waiting(generation):
    """The order waits in the queue (the provider paused): sent once instead of failing it."""
    values = {"id": generation.pk, "product": product_in_text(generation)}
    if generation.kind == "video":
        return (
            _(
                "Video #%(id)s (%(product)s) is taking longer than usual: the generation service is busy and your "
                "order is waiting in the queue. Nothing to do on your side: I will send it as soon as it is ready."
            )
            % values
        )
    return (
        _(
            "Card #%(id)s (%(product)s) is taking longer than usual: the generation service is busy and your "
            "order is waiting in the queue. Nothing to do on your side: I will send it as soon as it is ready."
        )
        % values
    )


def still_working(generation, minutes):
    return ngettext(
        "Video #%(id)s (%(product)s) is still in the works: a video usually takes about %(minutes)s minute. "
        "I will send it as soon as it is ready.",
        "Video #%(id)s (%(product)s) is still in the works: a video usually takes about %(minutes)s minutes. "
        "I will send it as soon as it is ready.",
        minutes,
    ) % {"id": generation.pk, "product": product_in_text(generation), "minutes": minutes}


def failed(generation):
    if generation.error_class == "user":
        reason = _(
            "The generation service refused the request because its rules forbid such content in the photo or "
            "the text (real people, brands, adult or violent scenes). Try another photo or other wording."
        )
    elif generation.error_class in ("billing", "configuration"):
        reason = _("The service is overloaded right now. We are already on it; please try again a little later.")
    elif generation.error_class == "timeout":
        reason = _("The generation service took too long.")
    else:
        reason = _("The generation service failed several times in a row.")
    values = {"id": generation.pk, "product": product_in_text(generation), "reason": reason}
    if generation.kind == "video":
        text = _("Sorry, video #%(id)s (%(product)s) could not be made. %(reason)s") % values
    else:
        text = _("Sorry, card #%(id)s (%(product)s) could not be made. %(reason)s") % values
    return f"{text} " + _("We returned %(credits)s to your balance.") % {"credits": credits(generation.cost)}


def button(name):
    """The buttons under a result; the conversation's own buttons are in botapp.texts."""
    return {
        "again": _("🔁 Make another with this product"),
        "menu": _("🏠 Main menu"),
    }[name]


# --- Payments (sent by workers) -------------------------------------------------------------


def money(amount):
    return number_format(amount, 0 if amount == int(amount) else 2, force_grouping=True)


def payment_credited(payment, balance):
    return _("Payment received: %(credits)s added. Balance: %(balance)s.") % {
        "credits": credits(payment.credits),
        "balance": credits(balance),
    }


def payment_canceled(reason):
    reasons = {
        "insufficient_funds": _("there was not enough money on the card"),
        "card_expired": _("the card has expired"),
        "invalid_card_number": _("the card number is wrong"),
        "invalid_csc": _("the card's security code is wrong"),
        "3d_secure_failed": _("the bank's confirmation (3-D Secure) did not succeed"),
        "call_issuer": _("the bank declined it: please call your bank"),
        "issuer_unavailable": _("the bank did not answer"),
        "payment_method_limit_exceeded": _("a limit of the card or wallet was reached"),
        "payment_method_restricted": _("payments with this card or wallet are restricted"),
        "country_forbidden": _("payments from this country are not accepted"),
        "fraud_suspected": _("the payment looked suspicious to the bank"),
        "expired_on_confirmation": _("it was not confirmed in time"),
        "canceled_by_merchant": _("it was cancelled"),
    }
    why = reasons.get(reason, _("the bank or the payment service declined it"))
    return _("The payment did not go through: %(why)s. No money was taken. You can try again with /buy.") % {"why": why}
