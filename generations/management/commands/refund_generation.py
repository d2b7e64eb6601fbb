import re

from django.core.management.base import BaseCommand, CommandError

from billing.ledger import LedgerError
from billing.management.commands.grant_credits import add_by_argument, operator, signed, staff_user
from generations import services
from generations.models import Generation


class Command(BaseCommand):
    help = (
        "Give back a generation's credits, once, with a reason and the operator (--by, the login user by "
        "default): a stuck one is cancelled first; a completed or already refunded one is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("generation_id")
        parser.add_argument("--reason", default="", help="why (required; kept on the ledger row)")
        add_by_argument(parser)

    def handle(self, *args, generation_id, reason, by, **options):
        if not re.fullmatch(r"[0-9]{1,18}", generation_id):
            raise CommandError(f"Not a generation id: {generation_id!r}.")
        # Checked before the operator's name is added to it, which would make any reason non-empty.
        if not reason.strip():
            raise CommandError("refund refused: A reason is required: --reason TEXT.")
        generation = Generation.objects.select_related("user").filter(pk=int(generation_id)).first()
        if generation is None:
            raise CommandError(f"No generation #{generation_id}.")
        by = operator(by)
        try:
            posting = services.support_refund(generation=generation, actor=staff_user(by), reason=signed(reason, by))
        except (services.RefundRefused, LedgerError) as error:
            raise CommandError(f"refund refused: {error}") from None
        generation.refresh_from_db(fields=["status"])
        return (
            f"refund by {by}: generation #{generation.pk} ({generation.status}), {posting.entries[0].amount:+d} "
            f"credits to {generation.user}; balance {posting.balance}"
        )
