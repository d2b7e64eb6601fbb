"""Inline keyboards. Callback data is `area:action[:argument]`, well under Telegram's 64 bytes."""

from django.conf import settings
from django.utils.translation import gettext as _
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from botapp import step_texts, texts
from generations import formats, video_models
from messaging.texts import format_name

VIDEO_TEMPLATES = ("ugc", "ad", "ozon_cover", "own")
IMAGE_TEMPLATES = ("studio", "lifestyle", "infographic", "own")
# The templates that put the seller's title and selling points on the result.
POINTS_TEMPLATES = ("infographic", "ozon_cover")


def templates_for(kind):
    return VIDEO_TEMPLATES if kind == "video" else IMAGE_TEMPLATES


def _button(name, data):
    return InlineKeyboardButton(texts.button(name), callback_data=data)


def main_menu():
    return InlineKeyboardMarkup(
        [
            [_button("video", "menu:video")],
            [_button("image", "menu:image")],
            [_button("examples", "menu:examples")],
            [_button("balance", "menu:balance"), _button("buy", "menu:buy")],
            [_button("history", "menu:history"), _button("support", "menu:support")],
            [_button("help", "menu:help")],
        ]
    )


def _nav():
    return [_button("back", "flow:back"), _button("cancel", "flow:cancel")]


def step_nav():
    return InlineKeyboardMarkup([_nav()])


def templates(kind, model=None):
    """The templates, under the video models when the seller has a choice of them (`model` the selected one)."""
    rows = [
        [InlineKeyboardButton(texts.template_name(t, kind), callback_data=f"flow:tpl:{t}")] for t in templates_for(kind)
    ]
    return InlineKeyboardMarkup([*(_model_rows(model) if kind == "video" else []), *rows, _nav()])


def _model_rows(selected):
    """A button per enabled video model, the selected one marked; none when only one is on. Two to a row, so
    that a phone shows their names whole."""
    if not video_models.choosing():
        return []
    buttons = [
        InlineKeyboardButton(step_texts.model_button(m, m.key == selected), callback_data=f"flow:model:{m.key}")
        for m in video_models.enabled()
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def models(selected):
    """The confirmation screen's change of model: the models, and Back to the screen."""
    return InlineKeyboardMarkup([*_model_rows(selected), _nav()])


def _step_button(name, data):
    return InlineKeyboardButton(step_texts.button(name), callback_data=data)


def card_formats():
    rows = [
        [InlineKeyboardButton(format_name(name), callback_data=f"flow:fmt:{name}")] for name in formats.CARD_FORMATS
    ]
    return InlineKeyboardMarkup([*rows, _nav()])


def durations(model):
    rows = [
        [InlineKeyboardButton(step_texts.seconds_button(s, model.key), callback_data=f"flow:sec:{s}")]
        for s in model.durations
    ]
    return InlineKeyboardMarkup([*rows, _nav()])


def wishes():
    return InlineKeyboardMarkup([[_step_button("skip", "flow:skip")], _nav()])


def photo_kinds():
    return InlineKeyboardMarkup(
        [
            [_step_button("video", "flow:kind:video"), _step_button("image", "flow:kind:image")],
            [_button("cancel", "flow:cancel")],
        ]
    )


def counts(kind, seconds=None, model=None):
    row = [
        InlineKeyboardButton(texts.count_button(n, kind, seconds, model), callback_data=f"flow:n:{n}")
        for n in (1, 3, 5)
    ]
    return InlineKeyboardMarkup([row, _nav()])


def confirm(token, draft=None):
    """Confirm, and the buttons that change the card's format or text, or the video's model (and so its length),
    without going through every step again."""
    draft = draft or {}
    changes = []
    if draft.get("kind") == "image":
        changes.append(_step_button("change_format", "flow:edit:fmt"))
    if draft.get("kind") == "video" and video_models.choosing():
        changes.append(_step_button("change_model", "flow:edit:model"))
    if draft.get("template") in POINTS_TEMPLATES:
        changes.append(_step_button("change_text", "flow:edit:pts"))
    return InlineKeyboardMarkup([[_button("confirm", f"flow:ok:{token}")], *([changes] if changes else []), _nav()])


def short_of_credits():
    return InlineKeyboardMarkup([[_button("buy", "menu:buy")], _nav()])


def buy():
    return InlineKeyboardMarkup([[_button("buy", "menu:buy")]])


def promo_row():
    # On the balance and buy screens: where sellers look for a place to type a promo code.
    return [InlineKeyboardButton(_("🎁 I have a promo code"), callback_data="promo:ask")]


def balance(running_low):
    return InlineKeyboardMarkup([*([[_button("buy", "menu:buy")]] if running_low else []), promo_row()])


def to_menu():
    return InlineKeyboardMarkup([[_button("menu", "menu:main")]])


def support():
    if not settings.SUPPORT_USERNAME:
        return None
    url = f"https://t.me/{settings.SUPPORT_USERNAME}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.button("write_support"), url=url)]])


def cancel_orders(up_to_id):
    return InlineKeyboardMarkup([[_button("cancel_yes", f"cx:yes:{up_to_id}"), _button("cancel_no", "cx:no")]])


def history(generations):
    rows = [
        [InlineKeyboardButton(texts.resend_button(g), callback_data=f"gen:send:{g.pk}")]
        for g in generations
        if g.status == "completed" and g.result_file
    ]
    return InlineKeyboardMarkup(rows) if rows else None
