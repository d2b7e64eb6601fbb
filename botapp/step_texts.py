"""What the bot says at the order's card steps: a photo sent at the menu, the video model, the format, the
duration, the text on the card (title and selling points) and its rules check, and the buttons of these steps.

HTML (parse_mode HTML): what the seller typed is escaped with `e()`. Numbers come from settings and
generations.formats / generations.points, never from the texts.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from generations import formats, points, video_models
from generations.models import unit_cost
from messaging.texts import credits, duration_name, e, format_name, template_name

# --- A photo sent at the menu, an album -------------------------------------------------------


def what_to_make():
    return _("What shall I make with this photo?")


def album_first():
    return _("You sent an album: I take its first photo.")


# --- Format and duration ----------------------------------------------------------------------


def ask_format():
    return _(
        "Where will the card go? Choose the format: I will remember it for your next cards, and you can change "
        "it on the confirmation screen."
    )


def format_hint():
    return _("Please choose the format with the buttons below.")


def ask_seconds():
    return _("How long shall the video be? The price depends on the length:")


def seconds_hint():
    return _("Please choose the length with the buttons below.")


def seconds_button(seconds, model=None):
    return f"{duration_name(seconds)} · {credits(unit_cost('video', seconds, model))}"


# --- The video model --------------------------------------------------------------------------


def _model_price(model):
    """One video by `model`: the price of its only duration, or “from” the cheapest of several."""
    if len(model.prices) > 1:
        return ngettext("from %(n)s credit", "from %(n)s credits", model.cheapest) % {"n": model.cheapest}
    return credits(model.cheapest)


def models_choice(selected):
    """Each enabled model with what it is good at and its price, the selected one marked."""
    lines = [_("Which model shall make the video? Tap one to switch; ✓ marks the chosen one:")]
    for model in video_models.enabled():
        mark = "✓" if model.key == selected else "•"
        lines.append(f"{mark} <b>{e(model.label)}</b> — {model.strength}; {_model_price(model)}")
    return "\n".join(lines)


def model_button(model, selected):
    return f"✓ {model.label}" if selected else model.label


def model_off(key, model):
    """A model turned off since the seller chose it: the one their video is made by now (plain text: a toast too)."""
    return _("%(off)s is not available right now: your video will be made by %(model)s.") % {
        "off": e(video_models.label(key)),
        "model": e(model.label),
    }


# --- The text on the card ---------------------------------------------------------------------


def ask_points(kind, title="", current=()):
    where = _("the cover") if kind == "video" else _("the card")
    text = _(
        "Now the text for %(where)s. Send the title and up to %(max)s selling points, each on a new line: the "
        "first line is the title (up to %(title_max)s characters), the next ones are the points (up to "
        "%(point_max)s characters each). For example:\n\n<i>Thermo mug 450 ml\nKeeps drinks hot for 8 hours\n"
        "Leak-proof lid\nFits a car cup holder</i>\n\nOr send “-”, and I will suggest them from the description."
    ) % {
        "where": where,
        "max": formats.MAX_POINTS,
        "title_max": points.TITLE_MAX,
        "point_max": points.POINT_MAX,
    }
    if title:
        current_text = "\n".join([title, *current])
        text += "\n\n" + _("The text now (tap to copy, change and send back):") + f"\n<pre>{e(current_text)}</pre>"
    return text


def points_refused(reason, numbers):
    if reason == "title_long":
        text = ngettext(
            "The title has %(length)s character, and up to %(limit)s fit on the card.",
            "The title has %(length)s characters, and up to %(limit)s fit on the card.",
            numbers["length"],
        )
        return (text % numbers) + " " + _("Please shorten it and send the text again.")
    if reason == "point_long":
        text = ngettext(
            "Point %(number)s has %(length)s character, and up to %(limit)s fit on the card.",
            "Point %(number)s has %(length)s characters, and up to %(limit)s fit on the card.",
            numbers["length"],
        )
        return (text % numbers) + " " + _("Please shorten it and send the text again.")
    if reason == "too_many":
        return (
            ngettext(
                "You sent %(count)s point, and up to %(limit)s fit on the card. Keep the most important ones and "
                "send the text again.",
                "You sent %(count)s points, and up to %(limit)s fit on the card. Keep the most important ones and "
                "send the text again.",
                numbers["count"],
            )
            % numbers
        )
    return _("Please send the title and the points as text, each on a new line, or “-” to have them suggested.")


def rules_broken(fragments):
    return _(
        "Marketplaces don't accept cards with prices, discounts, calls to buy, contacts or links. Please remove "
        "or reword: %(fragments)s. Then send the text again."
    ) % {"fragments": ", ".join(_("“%(fragment)s”") % {"fragment": e(fragment)} for fragment in fragments)}


def suggesting():
    return _("Picking a title and selling points from the description: it takes a few seconds.")


def suggested(title, current):
    lines = [_("Here is the text I suggest:"), f"<b>{e(title)}</b>"]
    lines += [f"• {e(point)}" for point in current]
    lines.append(_("You can change it on the confirmation screen."))
    return "\n".join(lines)


def nothing_suggested():
    return _("I couldn't pick a text from the description. Please send the title and the points yourself.")


# --- The confirmation screen ------------------------------------------------------------------


def confirm_details(draft):
    """The confirmation screen's lines about the format or the model and duration, the text on the card and the
    wishes."""
    lines = []
    if draft["kind"] == "video":
        model = video_models.chosen(draft.get("model"))
        if video_models.choosing():
            lines.append(_("Model: %(model)s") % {"model": e(model.label)})
        seconds = draft.get("seconds") or model.seconds
        lines.append(_("Length: %(duration)s") % {"duration": duration_name(seconds)})
    else:
        lines.append(_("Format: %(format)s") % {"format": format_name(draft.get("card_format") or "")})
    if draft.get("title"):
        lines.append(_("Title: %(title)s") % {"title": e(draft["title"])})
    if draft.get("points"):
        lines.append(_("Selling points: %(points)s") % {"points": "; ".join(e(point) for point in draft["points"])})
    wishes = draft.get("wishes") or ""
    if wishes and draft.get("template") != "own":
        short = wishes if len(wishes) <= 120 else wishes[:119] + "…"
        lines.append(_("Wishes: %(wishes)s") % {"wishes": e(short)})
    return ["• " + line for line in lines]


def template_choice(kind, model=None):
    """The template question with a line on each template, to help the seller choose; for a video, after the
    choice of model when several are on (`model` the selected one)."""
    if kind == "video":
        intro = _("Choose a template for the video:")
        about = {
            "ugc": _("a buyer shows the product on a phone camera, as in a review"),
            "ad": _("a dynamic ad with striking shots of the product"),
            "ozon_cover": _("a short clip with your title and selling points on screen; works without sound"),
            "own": _("you describe what happens in the video"),
        }
    else:
        intro = _("Choose a template for the image card:")
        about = {
            "studio": _("the product on a clean background, without any text"),
            "lifestyle": _("the product in a fitting setting"),
            "infographic": _("the product with your title and up to %(max)s selling points, typeset by us")
            % {"max": formats.MAX_POINTS},
            "own": _("you describe what the picture shows"),
        }
    text = "\n".join([intro, *(f"• <b>{template_name(name, kind)}</b> — {line}" for name, line in about.items())])
    if kind == "video" and video_models.choosing():
        return models_choice(model) + "\n\n" + text
    return text


# --- Buttons ----------------------------------------------------------------------------------


def button(name):
    return {
        "skip": _("⏭ Skip"),
        "video": _("🎬 Video"),
        "image": _("🖼 Image card"),
        "change_format": _("📐 Change format"),
        "change_text": _("✏️ Change text"),
        "change_model": _("🎞 Change model"),
    }[name]
