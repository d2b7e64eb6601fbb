"""Orders run to their results against the fakes, and what the seller's chat then shows."""

from generations import pipeline
from generations.models import Generation
from tests.factories import make_user, place_order

SELLER = 5150
TITLE = "Термокружка 350 мл"


def order(workers, *, kind="image", count=1, telegram_id=SELLER, **options):
    template = "studio" if kind == "image" else "ugc"
    user = make_user(credits=500, telegram_id=telegram_id)
    return place_order(
        user, telegram=workers.telegram, kind=kind, count=count, template=template, **{"title": TITLE, **options}
    ).generations


def submit_all(generations):
    for generation in generations:
        pipeline.submit(generation_id=generation.pk)  # already run at commit when the test commits
        assert Generation.objects.get(pk=generation.pk).status == "processing"


def finish(generation):
    """Read its task once: the fake KIE answers with its programmed outcome, and finish runs inline."""
    generation = Generation.objects.get(pk=generation.pk)
    return pipeline.poll(generation)


def run(workers, generations):
    submit_all(generations)
    for generation in generations:
        assert finish(generation) == "success"


def sent(workers, telegram_id=SELLER):
    """[(method, call)] of what reached the seller's chat, in order."""
    return [(call.method, call) for call in workers.telegram.sent(chat_id=telegram_id)]


def keyboards(workers, telegram_id=SELLER):
    """The methods of the messages that carried an inline keyboard."""
    return [method for method, _, _ in workers.telegram.markups(chat_id=telegram_id)]
