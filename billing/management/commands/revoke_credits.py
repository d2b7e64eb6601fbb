from billing import ledger
from billing.management.commands import grant_credits


class Command(grant_credits.Command):
    help = (
        "Take credits back from a user by Telegram ID, through the ledger, with a reason; refused, with nothing "
        "written, when the balance is smaller. --key makes a repeated run a no-op. Prints the new balance."
    )
    verb = "revoke"
    post = staticmethod(ledger.revoke_credits)
