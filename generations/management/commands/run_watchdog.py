from django.core.management.base import BaseCommand

from generations import watchdog


class Command(BaseCommand):
    help = (
        "One watchdog pass: generations past their deadline are failed and refunded, rows a dead worker left "
        "in `submitting` are re-queued (or failed when the provider may hold their task), slow videos are "
        "explained, due generations dispatched."
    )

    def handle(self, *args, **options):
        return watchdog.run()
