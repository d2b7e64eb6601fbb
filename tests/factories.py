"""Rows for tests, made the way the product makes them: credits only through the ledger."""

import itertools
import uuid

from accounts.models import TelegramUser
from billing import ledger
from billing.models import Payment
from generations.models import Generation

_telegram_ids = itertools.count(100_000_001)


def make_user(*, credits=0, **fields):
    fields.setdefault("telegram_id", next(_telegram_ids))
    fields.setdefault("first_name", "Test")
    user = TelegramUser.objects.create(**fields)
    if credits:
        ledger.grant_credits(user=user, amount=credits, actor=None, reason="test set-up", key=uuid.uuid4().hex)
        user.refresh_from_db()
    return user


def make_generations(user, *, count=1, cost=10, kind=Generation.Kind.VIDEO, order_id=None):
    order_id = order_id or uuid.uuid4()
    return [
        Generation.objects.create(
            user=user,
            order_id=order_id,
            kind=kind,
            template="ugc",
            description="A ceramic mug",
            cost=cost,
            idempotency_key=f"{order_id}:{index}",
        )
        for index in range(count)
    ]


def make_payment(user, *, credits=100, amount="890.00", method=Payment.Method.YOOKASSA, currency="RUB"):
    return Payment.objects.create(user=user, method=method, amount=amount, currency=currency, credits=credits)


def give_credits(telegram_id, amount):
    """Credits for a user the bot created, through the ledger as support would grant them."""
    user = TelegramUser.objects.get(telegram_id=telegram_id)
    ledger.grant_credits(user=user, amount=amount, actor=None, reason="test set-up", key=uuid.uuid4().hex)


def product_photo(size=(800, 1000), colour=(200, 60, 60)):
    """A JPEG a seller might send."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (245, 245, 245))
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def place_order(user, *, telegram, kind="video", count=1, template="ugc", wishes="", photo=None, **options):
    """A confirmed order, as the bot's Confirm makes it, with the photo held by the fake Bot API.

    `options` go to create_order as they are: card_format, seconds, title, points."""
    from generations import services

    file_id = telegram.add_file(photo or product_photo(), file_path=f"photos/{uuid.uuid4().hex}.jpg")
    return services.create_order(
        user=user,
        kind=kind,
        template=template,
        description="Керамическая кружка, 350 мл",
        wishes=wishes,
        reference_file_id=file_id,
        count=count,
        order_id=uuid.uuid4(),
        **options,
    )
