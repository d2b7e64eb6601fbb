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
from generations import video_models
from generations.formats import CARD_FORMATS, MAX_POINTS
from generations.models import unit_cost
from messaging import texts as sent
from messaging.texts import (
    credits,
    duration_name,
    e,
    format_name,
    how_many,
    kind_name,
    status_name,
    support_handle,
    template_name,
)

# --- Menu and commands ----------------------------------------------------------------------


def greeting(user, *, has_ordered):
    lines = [
        _("Hi, %(name)s! From one photo of your product I make:")
        % {"name": e(user.first_name or user.username or _("seller"))},
        "• "
        + _("image cards with infographics for Wildberries, Ozon and Yandex Market: %(image)s each;")
        % {"image": credits(settings.IMAGE_COST)},
        "• " + _("videos for the card and for ads, and Ozon video covers: %(videos)s.") % {"videos": video_prices()},
        "",
    ]
    free_cards = user.balance // settings.IMAGE_COST
    # Only while the welcome credits are all there is: a seller who has ordered or bought is told the balance.
    if not has_ordered and free_cards and user.balance == settings.WELCOME_CREDITS:
        if free_cards == 1:
            lines.append(
                _("Your first image card is free: you already have %(balance)s.") % {"balance": credits(user.balance)}
            )
        else:
            lines.append(
                ngettext(
                    "Your first image cards are free: you already have %(balance)s, enough for %(n)s card.",
                    "Your first image cards are free: you already have %(balance)s, enough for %(n)s cards.",
                    free_cards,
                )
                % {"balance": credits(user.balance), "n": free_cards}
            )
        lines.append(_("Choose below what to make, or look at the examples first."))
    else:
        lines.append(_("Balance: <b>%(balance)s</b>.") % {"balance": credits(user.balance)})
        if user.balance < min(settings.IMAGE_COST, _cheapest_video()):
            lines.append(_("To start, buy credits: /buy."))
    return "\n".join(lines)


def main_menu():
    return _("What shall we make?")


def video_prices():
    """Every duration a seller may choose, priced: “10 credits for 10 seconds, 15 credits for 15 seconds”; by
    model when several are on: “Sora 2: 10 credits for 10 seconds, …; Veo 3.1 Fast: 20 credits for 8 seconds”."""
    models = video_models.enabled()
    if len(models) == 1:
        return _model_prices(models[0])
    return "; ".join(f"{e(model.label)}: {_model_prices(model)}" for model in models)


def _model_prices(model):
    return ", ".join(
        _("%(credits)s for %(duration)s")
        % {"credits": credits(unit_cost("video", seconds, model.key)), "duration": duration_name(seconds)}
        for seconds in model.durations
    )


def cheapest_video_price():
    """“from 10 credits”: videos in a few words, where the list by model won't fit (the bot's profile)."""
    return ngettext("from %(n)s credit", "from %(n)s credits", _cheapest_video()) % {"n": _cheapest_video()}


def prices():
    return _("One image card: %(image)s. Videos: %(videos)s.") % {
        "image": credits(settings.IMAGE_COST),
        "videos": video_prices(),
    }


def _cheapest_video():
    return min(model.cheapest for model in video_models.enabled())


def running_low(balance):
    """Too little for one of each, a card and a video of the shortest duration: time to offer a top-up."""
    return balance < max(settings.IMAGE_COST, _cheapest_video())


def balance(user):
    lines = [
        _("Balance: <b>%(balance)s</b>.") % {"balance": credits(user.balance)},
        prices(),
        "",
        enough_for(user.balance),
    ]
    return "\n".join(lines)


def enough_for(balance):
    cards, videos = balance // settings.IMAGE_COST, balance // _cheapest_video()
    if not cards and not videos:
        return _("Not enough credits for an image card or a video yet. Top up to carry on.")
    if not videos:
        return ngettext(
            "Enough for %(n)s image card; not enough for a video yet.",
            "Enough for %(n)s image cards; not enough for a video yet.",
            cards,
        ) % {"n": cards}
    return ngettext(
        "Enough for %(n)s image card or %(videos)s.",
        "Enough for %(n)s image cards or %(videos)s.",
        cards,
    ) % {"n": cards, "videos": how_many("video", videos)}


def support(user):
    lines = [
        _("<b>Support</b>"),
        _("Write to us when:"),
        "• " + _("you paid, but the credits have not arrived;"),
        "• " + _("a result did not come, or came out broken;"),
        "• " + _("you want a refund for credits you have not spent;"),
        "• " + _("you want your data deleted."),
        _("A generation that fails returns its credits by itself: no need to write about that."),
        "",
    ]
    if settings.SUPPORT_USERNAME:
        lines.append(
            _(
                "Write to %(handle)s (the button below) and quote your Telegram ID: it lets us find your account "
                "at once."
            )
            % {"handle": e(support_handle())}
        )
    else:
        lines.append(_("Please quote your ID when you write to support: it lets us find your account at once."))
    lines.append(_("Your Telegram ID: <code>%(id)s</code> (tap to copy)") % {"id": user.telegram_id})
    if user.username:
        lines.append(_("Your username: @%(username)s") % {"username": e(user.username)})
    return "\n".join(lines)


def _video_shape():
    return {"portrait": _("vertical, 9:16"), "landscape": _("horizontal, 16:9")}.get(settings.KIE_VIDEO_ASPECT_RATIO)


def help_text():
    formats = "; ".join(format_name(name) for name in CARD_FORMATS)
    shape = _video_shape()
    videos = _("<b>Videos</b>: %(videos)s.") % {"videos": video_prices()}
    if shape:
        videos = _("<b>Videos</b>: %(videos)s; %(shape)s.") % {"videos": video_prices(), "shape": shape}
    return "\n".join(
        [
            _(
                "<b>How it works</b>\n"
                "1. Tap “Create video” or “Create image card”.\n"
                "2. Send a photo of the product and describe it in a few words.\n"
                "3. Choose a template and how many to make, check the cost and confirm.\n"
                "4. Results arrive here one by one; if one fails, its credits come back."
            ),
            "",
            _("<b>Image cards</b>: %(image)s each. Formats: %(formats)s.")
            % {"image": credits(settings.IMAGE_COST), "formats": formats},
            ngettext(
                "“%(template)s” puts your title and up to %(n)s selling point on the card, in legible type.",
                "“%(template)s” puts your title and up to %(n)s selling points on the card, in legible type.",
                MAX_POINTS,
            )
            % {"template": template_name("infographic"), "n": MAX_POINTS},
            videos,
            _("“%(template)s”: for Ozon, with the title and selling points in its first seconds, to work muted.")
            % {"template": template_name("ozon_cover")},
            "",
            _(
                "/start: menu · /balance: balance · /buy: buy credits · /promo: a promo code · "
                "/invite: invite friends, earn credits · /history: my generations · "
                "/cancel: cancel what is in progress · /support: help from a person · /privacy: your data"
            ),
        ]
    )


def no_examples():
    return _("The examples are not ready yet: we are choosing the best ones. Meanwhile, try it on your own product.")


def example_caption(example, language):
    return e(example.caption_in(language))


def after_examples():
    return _("All this is made from one photo of a product. Shall we make yours?")


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


def ask_count(kind, seconds=None, model=None):
    cost = credits(unit_cost(kind, seconds, model))
    if kind == "video" and video_models.choosing():
        return _("How many videos shall I make? One video by %(model)s costs %(cost)s.") % {
            "model": e(video_models.chosen(model).label),
            "cost": cost,
        }
    if kind == "video":
        return _("How many videos shall I make? One video costs %(cost)s.") % {"cost": cost}
    return _("How many image cards shall I make? One card costs %(cost)s.") % {"cost": cost}


def count_hint():
    return _("Please choose how many with the buttons below.")


def confirm(user, draft):
    count, kind = draft["count"], draft["kind"]
    total = count * unit_cost(kind, draft.get("seconds"), draft.get("model") if kind == "video" else None)
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
        if numbers["limit"] == 1:
            return _(
                "You already have an order in progress, and only one can run at a time. Wait for it to finish, "
                "or cancel it with /cancel."
            )
        return (
            ngettext(
                "You already have %(limit)s order in progress, the most that can run at a time. Wait for one of "
                "them to finish, or cancel with /cancel.",
                "You already have %(limit)s orders in progress, the most that can run at a time. Wait for one of "
                "them to finish, or cancel with /cancel.",
                numbers["limit"],
            )
            % numbers
        )
    if reason == "hourly":
        return hourly_limit(**numbers)
    if reason == "queue_full":
        return _("The queue is full: %(queued)s of %(limit)s. Please try again in a few minutes.") % numbers
    return blocked()


def hourly_limit(*, limit, left, minutes=None, **_numbers):
    """Generations a seller may order in an hour: how many are left now, and when the order would fit."""
    if left:
        text = ngettext(
            "You can order up to %(limit)s generation an hour; right now you can order %(left)s more.",
            "You can order up to %(limit)s generations an hour; right now you can order %(left)s more.",
            limit,
        ) % {"limit": limit, "left": left}
    else:
        text = ngettext(
            "You can order up to %(limit)s generation an hour, and this hour's are used up.",
            "You can order up to %(limit)s generations an hour, and this hour's are used up.",
            limit,
        ) % {"limit": limit}
    if minutes:
        text += " " + ngettext("Try again in %(minutes)s minute.", "Try again in %(minutes)s minutes.", minutes) % {
            "minutes": minutes
        }
    return text


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
        "examples": _("✨ Examples"),
        "confirm": _("✅ Confirm"),
        "back": _("⬅️ Back"),
        "cancel": _("✖️ Cancel"),
        "cancel_yes": _("Yes, cancel"),
        "cancel_no": _("No, carry on"),
        "write_support": _("✉️ Write to support"),
    }.get(name) or sent.button(name)


def resend_button(generation):
    return _("Send #%(id)s again") % {"id": generation.pk}


def count_button(count, kind, seconds=None, model=None):
    return f"{count} · {credits(count * unit_cost(kind, seconds, model))}"
