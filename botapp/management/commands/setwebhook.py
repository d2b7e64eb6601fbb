import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from botapp.application import ALLOWED_UPDATES, build


class Command(BaseCommand):
    help = (
        "Point Telegram at PUBLIC_BASE_URL/telegram/webhook/ with the secret token and the update types "
        "the bot handles. --drop-pending discards updates Telegram is still holding."
    )

    def add_arguments(self, parser):
        parser.add_argument("--drop-pending", action="store_true", help="drop updates waiting at Telegram")
        parser.add_argument("--max-connections", type=int, default=40)

    def handle(self, *args, drop_pending, max_connections, **options):
        if not settings.PUBLIC_BASE_URL.startswith("https://"):
            raise CommandError("PUBLIC_BASE_URL must be an https:// address Telegram can reach.")
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("TELEGRAM_WEBHOOK_SECRET is empty: the webhook would refuse every delivery.")
        url = settings.PUBLIC_BASE_URL + reverse("telegram-webhook")

        async def set_webhook():
            async with build().bot as bot:
                await bot.set_webhook(
                    url=url,
                    secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=drop_pending,
                    max_connections=max_connections,
                )

        asyncio.run(set_webhook())
        return f"webhook: {url} ({', '.join(ALLOWED_UPDATES)}){'; pending updates dropped' if drop_pending else ''}"
