"""initData as Telegram signs it, for tests of the Mini App (miniapp/initdata.py)."""

import json
import time
from urllib.parse import urlencode

from miniapp import initdata
from tests.fakes.telegram import FakeTelegram


def init_data(user_id, *, language_code="ru", first_name="Анна", auth_date=None, token=FakeTelegram.TOKEN, **extra):
    """The raw initData string a Telegram client hands a Mini App opened by this user."""
    user = {"id": user_id, "first_name": first_name, "username": "anna_seller", "language_code": language_code}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **extra,
    }
    fields["hash"] = initdata.sign(fields, token)
    return urlencode(fields)


def header(user_or_id, **options):
    """The Authorization header of an API call by this user (a TelegramUser or a Telegram id)."""
    telegram_id = getattr(user_or_id, "telegram_id", user_or_id)
    return {"HTTP_AUTHORIZATION": f"tma {init_data(telegram_id, **options)}"}


def completed(user, *, kind="image", description="A ceramic mug", reference_file_id="", title="", cost=3, photo=None):
    """A finished generation of this user with its result stored (a JPEG card, or a few bytes of "video")."""
    import uuid

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from generations.models import Generation
    from tests.factories import product_photo

    order_id = uuid.uuid4()
    generation = Generation.objects.create(
        user=user,
        order_id=order_id,
        kind=kind,
        template="studio" if kind == "image" else "ugc",
        description=description,
        title=title,
        reference_file_id=reference_file_id,
        cost=cost,
        model="sora2" if kind == "video" else "",
        idempotency_key=f"{order_id}:0",
        status=Generation.Status.COMPLETED,
        finished_at=timezone.now(),
    )
    if kind == "image":
        generation.result_file.save("card.jpg", ContentFile(photo or product_photo()), save=False)
    else:
        generation.result_file.save("reel.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42 video"), save=False)
    generation.save()
    return generation
