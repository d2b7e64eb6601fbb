from decimal import Decimal

from django.core.management.base import BaseCommand

from billing.models import CreditPack

# Sellers see the names as they are here (and in the admin): in Russian, the bot's language.
DEFAULT_PACKS = [
    ("Старт", 30, Decimal("290.00"), 150),
    ("Продавец", 100, Decimal("890.00"), 450),
    ("Профи", 300, Decimal("2490.00"), 1250),
]


class Command(BaseCommand):
    help = "Create the default credit packs when there are none. Packs edited in the admin are never touched."

    def handle(self, *args, **options):
        if CreditPack.objects.exists():
            return f"packs: {CreditPack.objects.count()} exist, none created"
        CreditPack.objects.bulk_create(
            CreditPack(name=name, credits=credits, price_rub=rub, price_stars=stars, position=position)
            for position, (name, credits, rub, stars) in enumerate(DEFAULT_PACKS)
        )
        return f"packs: {len(DEFAULT_PACKS)} created"
