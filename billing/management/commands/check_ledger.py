from django.core.management.base import BaseCommand, CommandError

from accounts.models import TelegramUser
from billing.ledger import find_mismatches


class Command(BaseCommand):
    help = "Verify that, for every user, the ledger sums to the balance. Exits 1 and lists each mismatch otherwise."

    def handle(self, *args, **options):
        mismatches = find_mismatches()
        for user, balance, ledger in mismatches:
            self.stderr.write(f"user {user.pk} (telegram {user.telegram_id}): balance {balance}, ledger {ledger}")
        if mismatches:
            raise CommandError(f"ledger: {len(mismatches)} mismatched users", returncode=1)
        return f"ledger: {TelegramUser.objects.count()} users, all balances match"
