import io

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

from botapp.models import Example
from generations import media

# (kind, template, caption, English caption); the offline renderer makes each from one drawn product photo.
SEEDS = [
    (
        "image",
        "studio",
        "Карточка на чистом фоне для Wildberries и Ozon",
        "A card on a clean background for Wildberries and Ozon",
    ),
    ("image", "lifestyle", "Карточка с тёплым фоном", "A card on a warm background"),
    ("video", "", "Вертикальное видео для карточки товара", "A vertical video for the product card"),
]
PRODUCT = "Бутылка для воды, 750 мл"
VIDEO_SECONDS = 3


class Command(BaseCommand):
    help = (
        "For the offline demo: publish a few examples for «Examples», made by the local renderer, when there are "
        "none. Not for production, where operators upload real results in the admin."
    )

    def handle(self, *args, **options):
        if Example.objects.exists():
            return f"examples: {Example.objects.count()} exist, none created"
        photo = _product_photo()
        for position, (kind, template, caption, caption_en) in enumerate(SEEDS, start=1):
            if kind == "video":
                content, extension = media.render_video(photo, PRODUCT, seconds=VIDEO_SECONDS), "mp4"
            else:
                content, extension = media.render_card(photo, PRODUCT, template=template), "jpg"
            example = Example(kind=kind, caption=caption, caption_en=caption_en, position=position, is_published=True)
            example.file.save(f"example.{extension}", ContentFile(content), save=False)
            example.save()
        return f"examples: {len(SEEDS)} created"


def _product_photo():
    image = Image.new("RGB", (900, 1200), (238, 236, 230))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((360, 300, 540, 380), radius=16, fill=(40, 40, 44))
    draw.rounded_rectangle((320, 370, 580, 980), radius=70, fill=(46, 139, 124))
    draw.rounded_rectangle((350, 560, 550, 760), radius=20, fill=(236, 244, 240))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
