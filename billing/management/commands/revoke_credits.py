from billing import ledger
from billing.management.commands import grant_credits
from billing.models import CreditTransaction


class Command(grant_credits.Command):
    help = (
        "Take credits back from a user by Telegram ID, through the ledger, with a reason and the operator (--by, "
        "the login user by default); refused, with nothing written, when the balance is smaller. --key makes a "
        "repeated run a no-op. Prints the new balance."
    )
    verb = "revoke"
    kind = CreditTransaction.Kind.MANUAL_REVOKE
    refuses_repeats = False
    post = staticmethod(ledger.revoke_credits)
