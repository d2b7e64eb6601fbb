from django.core.management.base import BaseCommand

from generations import renaming


class Command(BaseCommand):
    help = (
        "Move product photos and results stored under guessable names (ids, dates: before names were random) "
        "to random names. Safe to rerun; --dry-run only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        counts = renaming.rename_guessable(dry_run=dry_run)
        verb = "would rename" if dry_run else "renamed"
        return f"rename media: {verb} {counts['reference_image']} product photos, {counts['result_file']} results"
