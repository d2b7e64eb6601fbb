from django.core.management.base import BaseCommand

from billing import reconciliation


class Command(BaseCommand):
    help = ("Re-check YooKassa payments still pending (younger than 24 h) and credit those paid, through the same "
            "path as notifications; older ones become expired. One pass.")

    def handle(self, *args, **options):
        counts = reconciliation.run()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "nothing open"
        return f"reconciliation: {summary}"
