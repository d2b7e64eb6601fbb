import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import TelegramUser
from billing.models import CreditTransaction
from ops.demo import SELLER, Demo


class Command(BaseCommand):
    help = (
        "The whole product offline: web and workers start, a scripted seller buys credits, orders 3 videos and "
        "an image card, gets them, tries a bad input, cancels an order and asks for support; the chat and the "
        "ledger are printed and everything stops. Exits 0 when every step happened."
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
        demo.tap("UGC")
        demo.send("-")
        demo.tap("3 ·")
        demo.tap("Подтвердить")
        demo.say("the workers make them; each arrives on its own")
        demo.wait_for("sendVideo", 3)

        demo.say("an image card")
        demo.tap("Главное меню")
        demo.tap("Создать карточку")
        demo.send_photo(caption="Кружка ручной работы, синяя")
        demo.tap("Студийная")
        demo.send("-")
        demo.tap("1 ·")
        demo.tap("Подтвердить")
        demo.wait_for("sendDocument", 1)

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
        demo.tap("Реклама")
        demo.send("-")
        demo.tap("1 ·")
        demo.tap("Подтвердить")
        demo.send("/cancel")
        demo.tap("Да, отменить")

        demo.send("/support")
        demo.send("/balance")

    def print_ledger(self):
        user = TelegramUser.objects.get(telegram_id=SELLER["id"])
        self.stdout.write(f"--- ledger of {user} (balance {user.balance})")
        for entry in CreditTransaction.objects.filter(user=user).order_by("pk"):
            link = f" #{entry.generation_id}" if entry.generation_id else ""
            self.stdout.write(
                f"  {entry.amount:+4d}  {entry.get_kind_display():<18}{link:<6} → {entry.balance_after}  {entry.reason}"
            )
