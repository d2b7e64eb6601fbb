import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from telegram import MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from botapp import profile, webapp
from botapp.application import build


class Command(BaseCommand):
    help = (
        "Set the bot's command menu, description and short description at Telegram, in Russian (for every "
        "language without its own) and English, and the chat's menu button to the Mini App when PUBLIC_BASE_URL is "
        "https. Only what differs from Telegram's copy is sent: safe on every deploy."
    )

    def handle(self, *args, **options):
        wanted = profile.profiles()
        problems = [f"{p.label}: {problem}" for p in wanted for problem in p.problems()]
        if problems:
            raise CommandError("texts over Telegram's limits, nothing sent:\n" + "\n".join(problems))
        button = menu_button()
        try:
            changed = asyncio.run(self.apply(wanted, button))
        except TelegramError as error:
            raise CommandError(f"Telegram refused: {error.message}") from None
        parts = 3 * len(wanted) + (1 if button else 0)
        return f"bot profile: {changed} of {parts} parts changed ({', '.join(p.label for p in wanted)})"

    async def apply(self, wanted, button=None):
        changed = 0
        async with build().bot as bot:
            if button is None:
                self.stdout.write("menu button: left as it is (the Mini App needs an https PUBLIC_BASE_URL)")
            elif await bot.get_chat_menu_button() != button:
                try:
                    await bot.set_chat_menu_button(menu_button=button)
                except TelegramError as error:
                    raise CommandError(f"Telegram refused setChatMenuButton: {error.message}") from None
                self.stdout.write(f"menu button: set to the Mini App ({button.web_app.url})")
                changed += 1
            else:
                self.stdout.write("menu button: unchanged")
            for p in wanted:
                done = []
                code = p.language_code or None
                commands = await bot.get_my_commands(language_code=code)
                if [(c.command, c.description) for c in commands] != list(p.commands):
                    await _call("setMyCommands", p, bot.set_my_commands(list(p.commands), language_code=code))
                    done.append("commands")
                if (await bot.get_my_description(language_code=code)).description != p.description:
                    await _call("setMyDescription", p, bot.set_my_description(p.description, language_code=code))
                    done.append("description")
                current = (await bot.get_my_short_description(language_code=code)).short_description
                if current != p.short_description:
                    await _call(
                        "setMyShortDescription",
                        p,
                        bot.set_my_short_description(p.short_description, language_code=code),
                    )
                    done.append("short description")
                self.stdout.write(f"{p.label}: {', '.join(done) + ' set' if done else 'unchanged'}")
                changed += len(done)
        return changed


def menu_button():
    """The chat's menu button: the Mini App, or None without an https address. One text for every language
    (setChatMenuButton takes none), in the bot's default language."""
    url = webapp.miniapp_url()
    if url is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        return MenuButtonWebApp(text=_("Gallery"), web_app=WebAppInfo(url=url))


async def _call(method, p, request):
    try:
        return await request
    except TelegramError as error:
        raise CommandError(f"Telegram refused {method} for {p.label}: {error.message}") from None
