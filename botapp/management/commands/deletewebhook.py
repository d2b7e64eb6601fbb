import asyncio

from django.core.management.base import BaseCommand

from botapp.application import build


class Command(BaseCommand):
    help = "Remove the Telegram webhook (needed before runbot can poll). --drop-pending discards waiting updates."

    def add_arguments(self, parser):
        parser.add_argument("--drop-pending", action="store_true")

    def handle(self, *args, drop_pending, **options):
        async def delete():
            async with build().bot as bot:
                await bot.delete_webhook(drop_pending_updates=drop_pending)

        asyncio.run(delete())
        return "webhook: deleted"
