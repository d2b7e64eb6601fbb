from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from ops import cleanup


class Command(BaseCommand):
    help = (
        f"Delete result files older than RESULT_TTL_DAYS ({settings.RESULT_TTL_DAYS}) and product photos older "
        f"than REFERENCE_TTL_DAYS ({settings.REFERENCE_TTL_DAYS}), prune old update ids, task records and "
        f"wrong promo codes, drop raw provider payloads older than PAYLOAD_TTL_DAYS ({settings.PAYLOAD_TTL_DAYS}). "
        "--dry-run only says what would go, and from before which moment (in TIME_ZONE)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        now = timezone.now()
        counts = cleanup.run(dry_run=dry_run, now=now)
        summary = ", ".join(f"{count} {what}" for what, count in counts.items())
        if not dry_run:
            return f"cleanup: {summary}"
        # In the operator's time zone, named, so "older than" can be checked against the admin's dates.
        before = "; ".join(
            f"{what} before {timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"
            for what, moment in cleanup.cutoffs(now).items()
        )
        return f"cleanup (dry run, would delete): {summary}\ncut-offs: {before}"
