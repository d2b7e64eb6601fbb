"""A result is stored and sent only when it decodes as what it claims to be: never text or HTML as "the video"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import CreditTransaction
from generations import pipeline, watchdog
from generations.models import Generation
from tests.factories import make_user, place_order
from tests.fakes.kie_api import JUNK_BODY

pytestmark = pytest.mark.django_db


def finish_until_done(generation, commit):
    """The watchdog's hand-outs, each once its backoff is over, until the generation has ended."""
    for _ in range(pipeline.MAX_FINISH_ATTEMPTS + 2):
        generation.refresh_from_db()
        if generation.status != "processing":
            return generation
        Generation.objects.filter(pk=generation.pk).update(next_finish_at=timezone.now() - timedelta(seconds=1))
        commit(watchdog.run)
    return generation


@pytest.mark.parametrize(
    "kind, template, content, sent_as",
    [
        ("video", "ugc", JUNK_BODY, "sendVideo"),
        ("video", "ugc", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41\x00\x00\x00\x08free", "sendVideo"),
        ("image", "studio", b"<html><body>Not found</body></html>", "sendPhoto"),
    ],
)
def test_it_never_delivers_a_result_that_is_not_media_and_refunds_it_after_retries(
    workers, commit, kind, template, content, sent_as
):
    user = make_user(credits=50, telegram_id=8181)
    (generation,) = place_order(user, telegram=workers.telegram, kind=kind, template=template).generations
    workers.kie.result_content[kind] = content
    commit(pipeline.submit, generation_id=generation.pk)
    generation.refresh_from_db()

    assert commit(pipeline.poll, generation) == "success"
    generation.refresh_from_db()
    assert generation.status == "processing" and "not a valid" in generation.error_message

    generation = finish_until_done(generation, commit)

    assert (generation.status, generation.error_class) == ("failed", "temporary")
    assert generation.finish_attempts == pipeline.MAX_FINISH_ATTEMPTS and not generation.result_file
    assert len(workers.kie.requests(generation.result_url.rsplit("/", 1)[1])) == pipeline.MAX_FINISH_ATTEMPTS
    assert workers.telegram.requests(sent_as) == [] and workers.telegram.requests("sendDocument") == []
    assert CreditTransaction.objects.filter(generation=generation, kind="generation_refund").count() == 1
    (message,) = workers.telegram.texts(chat_id=8181)
    assert f"#{generation.pk}" in message
