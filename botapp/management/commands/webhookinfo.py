import asyncio

from django.core.management.base import BaseCommand

from botapp.application import build


class Command(BaseCommand):
    help = "Show what Telegram knows of the webhook: URL, pending updates, the last delivery error."

    def handle(self, *args, **options):
        async def fetch():
            async with build().bot as bot:
                return await bot.get_webhook_info()

        info = asyncio.run(fetch())
        self.stdout.write(f"url: {info.url or '(none)'}")
        self.stdout.write(f"pending updates: {info.pending_update_count}")
        self.stdout.write(f"allowed updates: {', '.join(info.allowed_updates or []) or '(all)'}")
        if info.last_error_date:
            self.stdout.write(f"last error: {info.last_error_date:%Y-%m-%d %H:%M:%S} {info.last_error_message}")
        return "webhook: set" if info.url else "webhook: not set"
