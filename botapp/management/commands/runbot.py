from django.core.management.base import BaseCommand

from botapp.application import ALLOWED_UPDATES, build


class Command(BaseCommand):
    help = (
        "Run the bot by long polling, with the same handlers as the webhook: for local development. "
        "Telegram refuses polling while a webhook is set (see deletewebhook)."
    )

    def handle(self, *args, **options):
        self.stdout.write("polling Telegram; Ctrl-C stops")
        build(polling=True).run_polling(allowed_updates=ALLOWED_UPDATES)
        return "runbot: stopped"
