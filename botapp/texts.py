"""What the bot says in the conversation, through gettext (Russian by default, English for `en*` users).

Texts are HTML (parse_mode HTML): anything the user typed is escaped with `e()` before it goes in. What the
domain sends on its own (results, failures, payments) is in messaging/texts.py, with the shared helpers.
"""

from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from botapp import step_texts
from generations.models import unit_cost
from messaging import texts as sent
from messaging.texts import credits, e, how_many, kind_name, status_name, support_handle, template_name

# --- Menu and commands ----------------------------------------------------------------------


def greeting(user):
    return _(
        "Hi, %(name)s! I make marketing videos and product-card images for marketplaces from one photo "
        "of your product.\n\nBalance: <b>%(balance)s</b>. One video costs %(video)s, one image card %(image)s."
    ) % {
        "name": e(user.first_name or user.username or _("seller")),
        "balance": credits(user.balance),
        "video": credits(settings.VIDEO_COST),
        "image": credits(settings.IMAGE_COST),
    }


def main_menu():
    return _("What shall we make?")


def balance(user):
    text = _("Balance: <b>%(balance)s</b>.\nOne video: %(video)s. One image card: %(image)s.") % {
        "balance": credits(user.balance),
        "video": credits(settings.VIDEO_COST),
        "image": credits(settings.IMAGE_COST),
    }
    if user.balance < settings.VIDEO_COST:
        text += "\n\n" + _("Not enough credits for a video. Top up to carry on.")
    elif user.balance < 3 * settings.VIDEO_COST:
        text += "\n\n" + _("Running low: enough for fewer than three videos.")
    return text


def support(user):
    lines = [_("Support: %(handle)s") % {"handle": e(support_handle())}] if settings.SUPPORT_USERNAME else []
    lines.append(_("Your Telegram ID: <code>%(id)s</code> (tap to copy)") % {"id": user.telegram_id})
    if user.username:
        lines.append(_("Your username: @%(username)s") % {"username": e(user.username)})
    lines.append(_("Please quote your ID when you write to support: it lets us find your account at once."))
    return "\n".join(lines)


def help_text():
    return _(
        "<b>How it works</b>\n"
        "1. Tap “Create video” or “Create image card”.\n"
        "2. Send a photo of the product and describe it in a few words.\n"
        "3. Choose a template and how many to make, check the cost and confirm.\n"
        "4. Results arrive here one by one; if one fails, its credits come back.\n\n"
        "One video: %(video)s, vertical, 10 s. One image card: %(image)s, 3:4 for Wildberries, Ozon and "
        "Yandex Market.\n\n"
        "/start: menu · /balance: balance · /buy: buy credits · /history: my generations · "
        "/cancel: cancel what is in progress · /support: help from a person · /privacy: your data"
    ) % {"video": credits(settings.VIDEO_COST), "image": credits(settings.IMAGE_COST)}


def privacy():
    return "\n".join(
        [
            _("<b>Your data</b>"),
            _(
                "We store your Telegram ID, name, username and language; your balance, payments and every credit "
                "movement; the product photos, descriptions and prompts you send, and the results."
            ),
            ngettext(
                "Product photos are deleted after %(n)s day.",
                "Product photos are deleted after %(n)s days.",
                settings.REFERENCE_TTL_DAYS,
            )
            % {"n": settings.REFERENCE_TTL_DAYS},
            ngettext(
                "Results are deleted after %(n)s day.",
                "Results are deleted after %(n)s days.",
                settings.RESULT_TTL_DAYS,
            )
            % {"n": settings.RESULT_TTL_DAYS},
            _("Payment records are kept as the law on accounting requires."),
            _("Photos and descriptions are sent to the AI providers only to make your content."),
            _("To have your data deleted, write to %(support)s and quote your Telegram ID.")
            % {"support": e(support_handle())},
        ]
    )


# --- The create flow ------------------------------------------------------------------------


def ask_photo(kind):
    if kind == "video":
        return _(
            "Send a photo of the product: a clear shot with the product in focus. A photo, or an image "
            "file (JPEG, PNG, WebP) up to 20 MB."
        )
    return _(
        "Send a photo of the product for the card: a clear shot with the product in focus. A photo, or an "
        "image file (JPEG, PNG, WebP) up to 20 MB."
    )


def photo_hint():
    return _("I need a photo of the product: send it as a photo, or as a JPEG, PNG or WebP file up to 20 MB.")


def photo_too_big(size_mb):
    return _("This file is %(size)s MB, and the limit is 20 MB. Please send a smaller photo.") % {
        "size": number_format(size_mb, 1)
    }


def photo_refused(reason):
    """The photo step's answer when the file itself fails the check (see botapp/photo_check.py)."""
    if reason == "too_big":
        return _("This file is over 20 MB. Please send a smaller photo.")
    if reason == "not_image":
        return _(
            "This file is not an image I can read. Please send the product photo as a photo, or as a "
            "JPEG, PNG or WebP file."
        )
    return _("I couldn't download this photo from Telegram. Please try again: send it once more.")


def ask_description():
    return _("Now describe the product in a few words: what it is and what matters about it (3 to 1000 characters).")


def _length_note(length):
    if length is None:
        return ""
    return " " + ngettext("Yours has %(n)s character.", "Yours has %(n)s characters.", length) % {"n": length}


def description_hint(length=None):
    return _("Please send the description as text, 3 to 1000 characters.") + _length_note(length)


def template_hint():
    return _("Please choose a template with the buttons below.")


def ask_wishes(template):
    return _(
        "Any wishes for the “%(template)s” template: setting, mood, what to stress? Send them as text, or tap “Skip”."
    ) % {"template": template_name(template)}


def wishes_hint(length=None):
    return _("Please send your wishes as text up to 1000 characters, or tap “Skip”.") + _length_note(length)


def ask_prompt(kind):
    if kind == "video":
        return _("Describe in your own words what should happen in the video (3 to 2000 characters).")
    return _("Describe in your own words what the card should show (3 to 2000 characters).")


def prompt_hint(length=None):
    return _("Please write it as text, 3 to 2000 characters.") + _length_note(length)


def ask_count(kind, seconds=None):
    cost = credits(unit_cost(kind, seconds))
    if kind == "video":
        return _("How many videos shall I make? One video costs %(cost)s.") % {"cost": cost}
    return _("How many image cards shall I make? One card costs %(cost)s.") % {"cost": cost}


def count_hint():
    return _("Please choose how many with the buttons below.")


def confirm(user, draft):
    count, kind = draft["count"], draft["kind"]
    total = count * unit_cost(kind, draft.get("seconds"))
    description = draft["description"]
    short = description if len(description) <= 120 else description[:119] + "…"
    lines = [
        _("Please check your order:"),
        "• "
        + _("%(what)s, template “%(template)s”")
        % {"what": how_many(kind, count), "template": template_name(draft["template"], kind)},
        *step_texts.confirm_details(draft),
        "• " + _("Product: %(description)s") % {"description": e(short)},
        "• " + _("Cost: <b>%(total)s</b>") % {"total": credits(total)},
        "• "
        + (
            _("Balance: %(balance)s → %(after)s") % {"balance": user.balance, "after": user.balance - total}
            if user.balance >= total
            else _("Balance: %(balance)s") % {"balance": credits(user.balance)}
        ),
    ]
    return "\n".join(lines)


def accepted(order):
    return _(
        "Accepted: %(what)s. Place in the queue: %(position)s. I will send each one here as soon as it is ready."
    ) % {"what": how_many(order.generations[0].kind, len(order.generations)), "position": order.queue_position}


def flow_cancelled():
    return _("Cancelled. Nothing was charged.")


# --- Refusals -------------------------------------------------------------------------------


def refused(reason, numbers):
    if reason == "balance":
        return _("Not enough credits: %(needed)s needed, you have %(balance)s.") % {
            "needed": credits(numbers["needed"]),
            "balance": credits(numbers["balance"]),
        }
    if reason == "active_orders":
        return (
            ngettext(
                "You already have an order in progress (at most %(limit)s at a time). Wait for it to finish, or "
                "cancel it with /cancel.",
                "You already have %(limit)s orders in progress (at most %(limit)s at a time). Wait for them to "
                "finish, or cancel them with /cancel.",
                numbers["limit"],
            )
            % numbers
        )
    if reason == "hourly":
        return (
            ngettext(
                "You can order up to %(limit)s generation an hour, and %(used)s were ordered in the last hour. "
                "Please try again a little later.",
                "You can order up to %(limit)s generations an hour, and %(used)s were ordered in the last hour. "
                "Please try again a little later.",
                numbers["limit"],
            )
            % numbers
        )
    if reason == "queue_full":
        return _("The queue is full: %(queued)s of %(limit)s. Please try again in a few minutes.") % numbers
    return blocked()


def blocked():
    return _("Sorry, your access to the bot is suspended. If you think this is a mistake, write to %(support)s.") % {
        "support": e(support_handle())
    }


def stale_button():
    return _("This button is no longer valid.")


def slow_down():
    return _("You are sending messages too fast. Please wait a minute, then carry on.")


def apology():
    return _(
        "Sorry, something went wrong on our side. Please try again, or send /start. If it happens again, "
        "write to /support."
    )


def private_only():
    return _("I work in private chats only: open a chat with me to make videos and cards.")


def unknown_command():
    return _("I don't know this command. /help lists what I can do.")


# --- Orders in progress and history ---------------------------------------------------------


def nothing_to_cancel():
    return _("You have nothing in progress.")


def cancel_ask(generations):
    lines = [_("In progress:")]
    lines += [f"#{g.pk} {kind_name(g.kind)}: {status_name(g.status)}" for g in generations]
    refund = sum(g.cost for g in generations)
    lines.append("")
    lines.append(_("Cancel them and return %(credits)s?") % {"credits": credits(refund)})
    return "\n".join(lines)


def cancel_done(cancelled, refunded, user):
    if not cancelled:
        return _("Nothing was left to cancel: everything had already finished.")
    return ngettext(
        "Cancelled %(n)s generation, %(credits)s returned. Balance: %(balance)s.",
        "Cancelled %(n)s generations, %(credits)s returned. Balance: %(balance)s.",
        cancelled,
    ) % {"n": cancelled, "credits": credits(refunded), "balance": credits(user.balance)}


def cancel_kept():
    return _("Fine, everything carries on.")


def history(generations):
    if not generations:
        return _("No generations yet. Make your first one from the menu.")
    lines = [_("Your last generations:")]
    for g in generations:
        when = date_format(localtime(g.created_at), "SHORT_DATETIME_FORMAT")
        lines.append(
            f"#{g.pk} {kind_name(g.kind)}, {template_name(g.template, g.kind)}: {status_name(g.status)}, {when}"
        )
    return "\n".join(lines)


def result_gone(generation):
    return ngettext(
        "The result of #%(id)s is no longer stored: results are kept for %(days)s day.",
        "The result of #%(id)s is no longer stored: results are kept for %(days)s days.",
        settings.RESULT_TTL_DAYS,
    ) % {"id": generation.pk, "days": settings.RESULT_TTL_DAYS}


def result_caption(generation):
    return _("#%(id)s: %(kind)s, template “%(template)s”") % {
        "id": generation.pk,
        "kind": kind_name(generation.kind),
        "template": template_name(generation.template, generation.kind),
    }


# --- Buttons --------------------------------------------------------------------------------


def button(name):
    return {
        "video": _("🎬 Create video"),
        "image": _("🖼 Create image card"),
        "balance": _("💰 Balance"),
        "buy": _("🛒 Buy credits"),
        "history": _("📂 My generations"),
        "support": _("🆘 Support"),
        "help": _("❓ Help"),
        "confirm": _("✅ Confirm"),
        "back": _("⬅️ Back"),
        "cancel": _("✖️ Cancel"),
        "cancel_yes": _("Yes, cancel"),
        "cancel_no": _("No, carry on"),
        "write_support": _("✉️ Write to support"),
    }.get(name) or sent.button(name)


def resend_button(generation):
    return _("Send #%(id)s again") % {"id": generation.pk}


def count_button(count, kind, seconds=None):
    return f"{count} · {credits(count * unit_cost(kind, seconds))}"
