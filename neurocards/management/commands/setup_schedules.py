from django.core.management.base import BaseCommand

from neurocards.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create or update NeuroCards' django-q2 schedules. Safe to run on every deploy."

    def handle(self, *args, **options):
        created, updated, removed = ensure_schedules()
        return f"schedules: {created} created, {updated} updated, {removed} removed"
