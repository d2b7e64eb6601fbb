from django.core.management.base import BaseCommand

from billing import reconciliation


class Command(BaseCommand):
    help = (
        "Re-check open YooKassa payments and settle them by YooKassa's answer, through the same path as "
        "notifications (every pass for 24 h, then less often as they age); rows YooKassa never had expire "
        "after 24 h. One pass."
    )

    def handle(self, *args, **options):
        counts = reconciliation.run()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "nothing open"
        return f"reconciliation: {summary}"
