"""Commands and menu buttons outside the create flow. Each is a step: a function of a locked Turn."""

from django.conf import settings

from botapp import flow, invite, keyboards, purchase, texts, turns
from botapp.models import Example
from generations import notify, services
from generations.models import Generation
from messaging import keyboards as sent_keyboards

HISTORY_SIZE = 10
EXAMPLES_SHOWN = 5


def start(turn):
    turn.reset()
    has_ordered = Generation.objects.filter(user=turn.user).exists()
    greeting = texts.greeting(turn.user, has_ordered=has_ordered)
    if turn.joined and turn.user.referred_by_id and settings.REFERRAL_WELCOME_CREDITS > 0:
        greeting = f"{invite.invited_welcome()}\n\n{greeting}"
    elif not turn.joined and turn.update is not None and turns.start_payload(turn.update)[0] == "ref":
        greeting = f"{invite.already_joined()}\n\n{greeting}"
    turn.say(greeting, keyboards.main_menu())


def main_menu(turn):
    turn.reset()
    turn.say(texts.main_menu(), keyboards.main_menu())


def balance(turn):
    user = turn.user
    turn.say(texts.balance(user), keyboards.balance(texts.running_low(user.balance)))


def support(turn):
    turn.say(texts.support(turn.user), keyboards.support())


def help_(turn):
    turn.say(texts.help_text(), keyboards.to_menu())


def privacy(turn):
    turn.say(texts.privacy())


def examples(turn):
    """What the bot makes: the examples operators published in the admin, then the menu."""
    shown = list(Example.objects.filter(is_published=True)[:EXAMPLES_SHOWN])
    if not shown:
        turn.say(texts.no_examples(), keyboards.main_menu())
        return
    for example in shown:
        media = "video" if example.kind == Example.Kind.VIDEO else "photo"
        turn.send_media(media, example.file.name, texts.example_caption(example, turn.user.language))
    turn.say(texts.after_examples(), keyboards.main_menu())


def history(turn):
    generations = list(Generation.objects.filter(user=turn.user).order_by("-created_at", "-pk")[:HISTORY_SIZE])
    turn.say(texts.history(generations), keyboards.history(generations))


def unknown_command(turn):
    turn.say(texts.unknown_command())


def ask_cancel(turn):
    active = list(Generation.objects.filter(user=turn.user, status__in=Generation.ACTIVE).order_by("pk"))
    if not active:
        turn.say(texts.nothing_to_cancel())
        return
    turn.say(texts.cancel_ask(active), keyboards.cancel_orders(active[-1].pk))


MENU = {
    "video": lambda turn: flow.start(turn, "video"),
    "image": lambda turn: flow.start(turn, "image"),
    "balance": balance,
    "buy": purchase.show_packs,
    "history": history,
    "examples": examples,
    "support": support,
    "help": help_,
    "invite": invite.show,
    "main": main_menu,
}


def on_menu(turn):
    action = turn.data.partition(":")[2]
    if action not in MENU:
        turn.toast(texts.stale_button())
        return
    MENU[action](turn)


def on_cancel_button(turn):
    parts = turn.data.split(":")
    if parts == ["cx", "no"]:
        turn.say(texts.cancel_kept())
        return
    if len(parts) != 3 or parts[1] != "yes" or not parts[2].isdigit():
        turn.toast(texts.stale_button())
        return
    # Only what was listed when the user asked: an order placed since then is not cancelled blindly.
    up_to = int(parts[2])
    cancelled = refunded = 0
    for generation in Generation.objects.filter(user=turn.user, status__in=Generation.ACTIVE, pk__lte=up_to):
        if services.cancel_generation(generation=generation, reason="cancelled by the user"):
            cancelled += 1
            refunded += generation.cost
    turn.user.refresh_from_db(fields=["balance"])
    turn.say(texts.cancel_done(cancelled, refunded, turn.user), keyboards.to_menu())


def on_generation_button(turn):
    parts = turn.data.split(":")
    generation = None
    if len(parts) == 3 and parts[2].isdigit():
        # Another user's id finds nothing: the button is simply not valid for this user.
        generation = Generation.objects.filter(pk=int(parts[2]), user=turn.user).first()
    if generation is None or parts[1] not in ("again", "send"):
        turn.toast(texts.stale_button())
    elif parts[1] == "again":
        flow.again(turn, generation)
    elif generation.status != Generation.Status.COMPLETED:
        turn.toast(texts.stale_button())
    elif not generation.result_file:
        turn.say(texts.result_gone(generation))
    else:
        media = "video" if generation.kind == Generation.Kind.VIDEO else "photo"
        notify.result_resent(generation.pk)
        turn.send_media(
            media,
            generation.result_file.name,
            notify.caption(generation),
            sent_keyboards.after_result(generation),
        )
