from django.conf import settings
from django.core.management.base import BaseCommand

from ops import cleanup


class Command(BaseCommand):
    help = (
        f"Delete result files older than RESULT_TTL_DAYS ({settings.RESULT_TTL_DAYS}) and product photos older "
        f"than REFERENCE_TTL_DAYS ({settings.REFERENCE_TTL_DAYS}), prune old update ids and task records, drop raw "
        f"provider payloads older than PAYLOAD_TTL_DAYS ({settings.PAYLOAD_TTL_DAYS}). "
        "--dry-run only says what would go."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        counts = cleanup.run(dry_run=dry_run)
        summary = ", ".join(f"{count} {what}" for what, count in counts.items())
        return f"cleanup{' (dry run, would delete)' if dry_run else ''}: {summary}"
