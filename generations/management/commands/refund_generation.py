import re

from django.core.management.base import BaseCommand, CommandError

from billing.ledger import LedgerError
from generations import services
from generations.models import Generation


class Command(BaseCommand):
    help = (
        "Give back a generation's credits, once, with a reason: a stuck one is cancelled first; a completed or "
        "already refunded one is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("generation_id")
        parser.add_argument("--reason", default="", help="why (required; kept on the ledger row)")

    def handle(self, *args, generation_id, reason, **options):
        if not re.fullmatch(r"[0-9]{1,18}", generation_id):
            raise CommandError(f"Not a generation id: {generation_id!r}.")
        generation = Generation.objects.select_related("user").filter(pk=int(generation_id)).first()
        if generation is None:
            raise CommandError(f"No generation #{generation_id}.")
        try:
            posting = services.support_refund(generation=generation, actor=None, reason=reason.strip())
        except (services.RefundRefused, LedgerError) as error:
            raise CommandError(f"refund refused: {error}") from None
        generation.refresh_from_db(fields=["status"])
        return (
            f"refund: generation #{generation.pk} ({generation.status}), {posting.entries[0].amount:+d} credits "
            f"to {generation.user}; balance {posting.balance}"
        )
