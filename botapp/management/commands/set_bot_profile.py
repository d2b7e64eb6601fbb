import asyncio

from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from botapp import profile
from botapp.application import build


class Command(BaseCommand):
    help = (
        "Set the bot's command menu, description and short description at Telegram, in Russian (for every "
        "language without its own) and English. Only what differs from Telegram's copy is sent: safe on every deploy."
    )

    def handle(self, *args, **options):
        wanted = profile.profiles()
        problems = [f"{p.label}: {problem}" for p in wanted for problem in p.problems()]
        if problems:
            raise CommandError("texts over Telegram's limits, nothing sent:\n" + "\n".join(problems))
        try:
            changed = asyncio.run(self.apply(wanted))
        except TelegramError as error:
            raise CommandError(f"Telegram refused: {error.message}") from None
        return f"bot profile: {changed} of {3 * len(wanted)} parts changed ({', '.join(p.label for p in wanted)})"

    async def apply(self, wanted):
        changed = 0
        async with build().bot as bot:
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


async def _call(method, p, request):
    try:
        return await request
    except TelegramError as error:
        raise CommandError(f"Telegram refused {method} for {p.label}: {error.message}") from None
