import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import TelegramUser
from billing.models import CreditTransaction
from ops.demo import SELLER, Demo


class Command(BaseCommand):
    help = (
        "The whole product offline: web and workers start, a scripted seller buys credits, orders 3 videos, "
        "an image card and an infographic card (choosing its format and its text), gets them, tries a bad "
        "input, cancels an order and asks for support; the chat and the ledger are printed and everything "
        "stops. Exits 0 when every step happened."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        demo = Demo(self.stdout)
        try:
            demo.start()
            self.scenario(demo)
        except RuntimeError as error:
            raise CommandError(f"demo: {error}") from None
        finally:
            demo.stop()
        self.print_ledger()
        call_command("check_ledger", stdout=self.stdout)
        return f"demo: done in {time.monotonic() - started:.0f} s"

    def scenario(self, demo):
        demo.send("/start")
        demo.look_at_examples()
        demo.say("buying credits with Telegram Stars")
        demo.tap("Купить кредиты")
        demo.tap("450 ⭐")
        demo.pay_stars()

        demo.say("three videos")
        demo.tap("Создать видео")
        demo.send_photo()
        demo.send("Керамическая кружка ручной работы, 350 мл, синяя глазурь")
        demo.tap("Видео-отзыв")
        demo.send("-")
        demo.tap("10 секунд")
        demo.tap("3 ·")
        demo.tap("Подтвердить")
        demo.say("the workers make them; each arrives on its own")
        demo.wait_for("sendVideo", 3)

        demo.say("an image card")
        self.forget_card_format()
        demo.tap("Главное меню")
        demo.tap("Создать карточку")
        demo.send_photo(caption="Кружка ручной работы, синяя")
        demo.tap("Студийное фото")
        demo.tap("Пропустить")
        demo.say("the format is asked once, then remembered")
        demo.tap("Wildberries / Ozon")
        demo.tap("1 ·")
        demo.tap("Подтвердить")
        demo.wait_for("sendDocument", 1)

        self.infographic(demo)

        demo.say("a bad input, then an order cancelled")
        demo.tap("Ещё с этим товаром")
        demo.send(
            sticker={
                "file_id": "CAACsticker",
                "file_unique_id": "st",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        )
        demo.send("/start")
        demo.tap("Создать видео")
        demo.send("вот")
        demo.send_photo(caption="Кружка ручной работы")
        demo.tap("Рекламный ролик")
        demo.send("нет")
        demo.tap("15 секунд")
        demo.tap("1 ·")
        demo.tap("Подтвердить")
        demo.send("/cancel")
        demo.tap("Да, отменить")

        demo.send("/support")
        demo.send("/balance")

    def forget_card_format(self):
        """The demo's database outlives a run: the seller forgets the card format, so the first card asks it."""
        TelegramUser.objects.filter(telegram_id=SELLER["id"]).update(card_format="")

    def infographic(self, demo):
        """An infographic card: the text suggested from the description, then typed (and checked against the
        marketplaces' rules), the remembered format changed on the confirmation screen."""
        demo.say("an infographic card: the title and selling points on the picture")
        demo.tap("Главное меню")
        demo.tap("Создать карточку")
        demo.send_photo(caption="Термокружка из стали 304, 450 мл. Держит тепло 8 часов, не протекает")
        demo.tap("Инфографика")
        demo.send("-")
        demo.tap("Пропустить")
        demo.tap("1 ·")
        demo.say("the seller changes the text; a price on it is refused before any charge")
        demo.tap("Изменить текст")
        demo.send("Термокружка 450 мл\nДержит тепло 8 часов\nВсего 990 ₽")
        demo.send("Термокружка 450 мл\n• Держит тепло 8 часов\n• Не протекает\n• Сталь 304")
        demo.say("and the format, for Yandex Market this time")
        demo.tap("Изменить формат")
        demo.tap("квадрат 1:1")
        demo.tap("Подтвердить")
        demo.wait_for("sendDocument", 2)

    def print_ledger(self):
        user = TelegramUser.objects.get(telegram_id=SELLER["id"])
        self.stdout.write(f"--- ledger of {user} (balance {user.balance})")
        for entry in CreditTransaction.objects.filter(user=user).order_by("pk"):
            link = f" #{entry.generation_id}" if entry.generation_id else ""
            self.stdout.write(
                f"  {entry.amount:+4d}  {entry.get_kind_display():<18}{link:<6} → {entry.balance_after}  {entry.reason}"
            )
