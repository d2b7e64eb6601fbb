"""The bot's profile at Telegram: its command menu and descriptions, in Russian and English.

Set by `manage.py set_bot_profile` on deploy. Russian goes without a language code: Telegram shows that
profile to every user whose language has no profile of its own, and Russian is the bot's default.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from botapp.texts import cheapest_video_price, video_prices
from messaging.texts import credits

LANGUAGES = {"": "ru", "en": "en"}  # Telegram's language_code → the language of its texts
COMMANDS = (
    "start",
    "buy",
    "balance",
    "promo",
    "history",
    "invite",
    "cancel",
    "support",
    "paysupport",
    "help",
    "privacy",
)
# The Bot API's limits (docs/telegram.md).
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
MAX_COMMAND_DESCRIPTION = 256


@dataclass(frozen=True)
class Profile:
    language_code: str
    commands: tuple  # ((command, description), …) in menu order
    description: str
    short_description: str

    @property
    def label(self):
        return f"{self.language_code} users" if self.language_code else "everyone else (Russian)"

    def problems(self):
        """What Telegram would refuse: texts over its limits."""
        found = [
            f"/{name}: {len(text)} characters, at most {MAX_COMMAND_DESCRIPTION}"
            for name, text in self.commands
            if not 1 <= len(text) <= MAX_COMMAND_DESCRIPTION
        ]
        if len(self.description) > MAX_DESCRIPTION:
            found.append(f"description: {len(self.description)} characters, at most {MAX_DESCRIPTION}")
        if len(self.short_description) > MAX_SHORT_DESCRIPTION:
            found.append(
                f"short description: {len(self.short_description)} characters, at most {MAX_SHORT_DESCRIPTION}"
            )
        return found


def profiles():
    return [profile(code) for code in LANGUAGES]


def profile(language_code):
    with translation.override(LANGUAGES[language_code]):
        return Profile(
            language_code=language_code,
            commands=tuple((name, command_description(name)) for name in COMMANDS),
            description=description(),
            short_description=short_description(),
        )


def command_description(name):
    return {
        "start": _("Open the main menu"),
        "buy": _("Buy credits for videos and cards"),
        "balance": _("Your balance and the prices"),
        "promo": _("Redeem a promo code"),
        "history": _("Your last generations"),
        "invite": _("Invite friends and earn credits"),
        "cancel": _("Cancel what is in progress"),
        "support": _("Write to support"),
        "paysupport": _("Help with payments and refunds"),
        "help": _("How it works and what it costs"),
        "privacy": _("What data we keep"),
    }[name]


def description():
    """ "What can this bot do?": the text of an empty chat, before /start. The videos' prices by model, or
    “from” the cheapest when the list would not fit in Telegram's limit (several models on)."""
    text = _description(video_prices())
    return text if len(text) <= MAX_DESCRIPTION else _description(cheapest_video_price())


def _description(videos):
    text = _(
        "I make marketplace content from one photo of your product: image cards with infographics for "
        "Wildberries, Ozon and Yandex Market, videos for the card and for ads, and Ozon video covers.\n\n"
        "Send a photo, describe the product in a few words, and the result comes here within minutes. "
        "An image card costs %(image)s; videos: %(videos)s."
    ) % {"image": credits(settings.IMAGE_COST), "videos": videos}
    if settings.WELCOME_CREDITS >= settings.IMAGE_COST:
        text += "\n\n" + _("Your first image card is free.")
    return text


def short_description():
    """The bot's profile page, and the text that goes with a shared link to it."""
    return _(
        "Image cards with infographics and videos for Wildberries, Ozon and Yandex Market, from one product photo."
    )
