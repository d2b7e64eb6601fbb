import getpass
import re
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction

MAX_AMOUNT = ledger.MAX_MANUAL_AMOUNT
# An identical grant this soon is most likely the same command typed twice (a ticket answered by two people).
REPEAT_WINDOW = timedelta(minutes=10)


class Command(BaseCommand):
    help = (
        "Grant credits to a user by Telegram ID, through the ledger, with a reason and the operator (--by, "
        "the login user by default). --key makes a repeated run a no-op; without it an identical grant to the "
        "same user within 10 minutes is refused unless --again is given. Prints the new balance."
    )
    verb = "grant"
    kind = CreditTransaction.Kind.MANUAL_GRANT
    refuses_repeats = True
    post = staticmethod(ledger.grant_credits)

    def add_arguments(self, parser):
        parser.add_argument("telegram_id")
        parser.add_argument("amount", help="a whole number of credits above zero")
        parser.add_argument("--reason", default="", help="why (required; kept on the ledger row)")
        parser.add_argument("--key", default="", help="an idempotency key, e.g. a ticket number")
        add_by_argument(parser)
        if self.refuses_repeats:
            parser.add_argument(
                "--again", action="store_true", help="grant even though an identical grant was made minutes ago"
            )

    def handle(self, *args, telegram_id, amount, reason, key, by, again=False, **options):
        if not re.fullmatch(r"[0-9]{1,10}", amount) or not 0 < int(amount) <= MAX_AMOUNT:
            raise CommandError(
                f"The amount must be a whole number of credits above zero and at most "
                f"{MAX_AMOUNT:,} at once, not {amount!r}."
            )
        if not reason.strip():
            raise CommandError("A reason is required: --reason TEXT.")
        by = operator(by)
        user = _user(telegram_id)
        amount = int(amount)
        if self.refuses_repeats and not key.strip() and not again:
            self._refuse_a_repeat(user, amount)
        key = key.strip() or uuid.uuid4().hex
        try:
            posting = self.post(user=user, amount=amount, actor=staff_user(by), reason=signed(reason, by), key=key)
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
        return f"{self.verb} by {by}: {entry.amount:+d} credits to {user}; balance {posting.balance}"

    def _refuse_a_repeat(self, user, amount):
        # A check, not a constraint: it guards against a human repeating themselves, and --key is there
        # for the grant that must happen once whatever happens.
        earlier = (
            CreditTransaction.objects.filter(
                user=user, kind=self.kind, amount=amount, created_at__gte=timezone.now() - REPEAT_WINDOW
            )
            .order_by("-created_at")
            .first()
        )
        if earlier is not None:
            minutes = int((timezone.now() - earlier.created_at).total_seconds() // 60)
            raise CommandError(
                f"{self.verb}: {user} was already granted {amount} credits {minutes} min ago "
                f"(ledger entry #{earlier.pk}, {earlier.created_at:%Y-%m-%d %H:%M:%S %Z}, reason {earlier.reason!r}); "
                f"give --again to grant once more, or --key to make it once-only."
            )


def add_by_argument(parser):
    parser.add_argument("--by", default="", help="who runs it, for the ledger (default: the login user)")


def operator(by):
    """The operator's name: --by, else the login user; never empty, as it goes into the ledger."""
    name = by.strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError, ImportError):
            name = ""
    return name or "unknown operator"


def staff_user(name):
    """The staff account of that username, when there is one, for the ledger row's actor."""
    return get_user_model().objects.filter(username=name, is_staff=True, is_active=True).first()


def signed(reason, by):
    return f"{reason.strip()} (by {by})"


def _user(telegram_id):
    if not re.fullmatch(r"-?[0-9]{1,16}", telegram_id):
        raise CommandError(f"Not a Telegram ID: {telegram_id!r}.")
    try:
        return TelegramUser.objects.get(telegram_id=int(telegram_id))
    except TelegramUser.DoesNotExist:
        raise CommandError(f"No user with Telegram ID {telegram_id}.") from None
