import re
import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.models import TelegramUser
from billing import ledger

MAX_AMOUNT = ledger.MAX_MANUAL_AMOUNT


class Command(BaseCommand):
    help = (
        "Grant credits to a user by Telegram ID, through the ledger, with a reason. --key makes a repeated run "
        "a no-op (without it every run grants again). Prints the new balance."
    )
    verb = "grant"
    post = staticmethod(ledger.grant_credits)

    def add_arguments(self, parser):
        parser.add_argument("telegram_id")
        parser.add_argument("amount", help="a whole number of credits above zero")
        parser.add_argument("--reason", default="", help="why (required; kept on the ledger row)")
        parser.add_argument("--key", default="", help="an idempotency key, e.g. a ticket number")

    def handle(self, *args, telegram_id, amount, reason, key, **options):
        if not re.fullmatch(r"[0-9]{1,10}", amount) or not 0 < int(amount) <= MAX_AMOUNT:
            raise CommandError(
                f"The amount must be a whole number of credits above zero and at most "
                f"{MAX_AMOUNT:,} at once, not {amount!r}."
            )
        if not reason.strip():
            raise CommandError("A reason is required: --reason TEXT.")
        user = _user(telegram_id)
        amount, key = int(amount), key.strip() or uuid.uuid4().hex
        try:
            posting = self.post(user=user, amount=amount, actor=None, reason=reason.strip(), key=key)
        except ledger.LedgerError as error:
            raise CommandError(f"{self.verb}: {error}") from None
        entry = posting.entries[0]
        if not posting.created:
            # The ledger answers a known key with that key's posting, whoever and whatever it was for.
            if (entry.user_id, abs(entry.amount)) != (user.pk, amount):
                raise CommandError(
                    f"{self.verb}: key {key!r} was already used for {entry.amount:+d} credits "
                    f"to user {entry.user_id}; choose another key."
                )
            return f"{self.verb}: already done with key {key!r}, nothing changed; {user} has {posting.balance} credits"
        return f"{self.verb}: {entry.amount:+d} credits to {user}; balance {posting.balance}"


def _user(telegram_id):
    if not re.fullmatch(r"-?[0-9]{1,16}", telegram_id):
        raise CommandError(f"Not a Telegram ID: {telegram_id!r}.")
    try:
        return TelegramUser.objects.get(telegram_id=int(telegram_id))
    except TelegramUser.DoesNotExist:
        raise CommandError(f"No user with Telegram ID {telegram_id}.") from None
