"""The buttons under what the domain sends (a result, a failure). Callback data as in botapp.keyboards."""

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from messaging import texts


def _button(name, data):
    return InlineKeyboardButton(texts.button(name), callback_data=data)


def after_result(generation):
    return InlineKeyboardMarkup([[_button("again", f"gen:again:{generation.pk}")], [_button("menu", "menu:main")]])
