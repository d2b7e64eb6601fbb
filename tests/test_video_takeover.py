"""A paused video model's orders: taken over by another enabled model when VIDEO_FALLBACK allows it (at the price
the seller confirmed, once, never after the provider got it), else they wait; billing pauses every KIE model."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from billing.models import CreditTransaction
from generations import breaker, notify, pipeline, takeover, video_models, watchdog
from generations.models import Generation, GenerationEvent, ProviderHealth, unit_cost
from tests.takeover_helpers import reload, sora_creates, two_models, veo_creates, video_order  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_models")]

SELLER = 5301
OPERATOR = 900001
TAKEN_OVER = "Модель Sora 2 была недоступна — это видео сделала Veo 3.1 Fast (8 с)."


def open_soras_breaker(workers, commit):
    """Three orders whose Sora 2 create calls fail (KIE answers 500): its breaker opens."""
    workers.kie.program(create_code=500, times=3)
    failing = [video_order(workers, telegram_id=5390 + index) for index in range(3)]
    assert [commit(pipeline.submit, generation_id=g.pk) for g in failing] == ["retrying"] * 3
    assert breaker.why_held("kie", "sora2") == ["breaker"]
    assert breaker.why_held("kie", "veo3_fast") == []
    return failing


def alerts(workers):
    return workers.telegram.texts(chat_id=OPERATOR)


def assert_charged_once(generation, *, refunded=False):
    rows = CreditTransaction.objects.filter(generation=generation)
    assert rows.filter(kind="generation_charge").count() == 1
    assert rows.filter(kind="generation_refund").count() == (1 if refunded else 0)


def assert_ledger_clean(capsys):
    call_command("check_ledger")
    assert "all balances match" in capsys.readouterr().out


def make_due(*generations):
    Generation.objects.filter(pk__in=[g.pk for g in generations]).update(next_attempt_at=timezone.now())


def test_it_has_veo_make_a_new_sora_order_while_sora_s_breaker_is_open(workers, commit, capsys):
    open_soras_breaker(workers, commit)
    generation = video_order(workers, telegram_id=SELLER)

    assert commit(pipeline.submit, generation_id=generation.pk) == "processing"
    assert pipeline.poll(reload(generation)) == "success"

    generation = reload(generation)
    assert (generation.status, generation.model, generation.ordered_model) == ("completed", "veo3_fast", "sora2")
    assert generation.seconds == 8 and generation.cost == unit_cost("video", 10, "sora2")
    assert generation.timeout_at - generation.submitted_at == timedelta(minutes=15)  # Veo 3.1 Fast's own deadline
    assert generation.user.balance == 500 - generation.cost
    assert_charged_once(generation)
    assert len(sora_creates(workers)) == 3 and len(veo_creates(workers)) == 1
    (event,) = GenerationEvent.objects.filter(generation=generation, kind="takeover")
    assert event.detail.startswith("taken over by veo3_fast (8 s): sora2 paused (breaker)")
    (video,) = workers.telegram.requests("sendVideo", chat_id=SELLER)
    assert video.params["caption"].endswith(f"видео готово · #{generation.pk}\n{TAKEN_OVER}")
    (alert,) = alerts(workers)
    assert "KIE Sora 2: submissions paused" in alert
    assert_ledger_clean(capsys)


def test_it_keeps_an_order_sora_was_already_asked_for_on_sora(workers, commit):
    # Its create failed, but a create that timed out may have made a task at Sora: another model never gets it.
    failing = open_soras_breaker(workers, commit)
    newcomer = video_order(workers, telegram_id=SELLER)
    make_due(newcomer, *failing)

    assert commit(pipeline.dispatch_due) == 1
    assert [commit(pipeline.submit, generation_id=g.pk) for g in failing] == ["provider paused"] * 3

    assert {(g.status, g.model) for g in map(reload, failing)} == {("queued", "sora2")}
    assert (reload(newcomer).status, reload(newcomer).model) == ("processing", "veo3_fast")
    assert len(veo_creates(workers)) == 1
    assert not GenerationEvent.objects.filter(kind="takeover", generation__in=failing).exists()


def test_it_keeps_a_sora_order_queued_without_fallback_and_submits_it_when_the_breaker_closes(
    workers, commit, settings
):
    settings.VIDEO_FALLBACK = False
    failing = open_soras_breaker(workers, commit)
    generation = video_order(workers, telegram_id=SELLER)

    assert commit(pipeline.submit, generation_id=generation.pk) == "provider paused"
    make_due(generation, *failing)
    assert commit(pipeline.dispatch_due) == 0
    assert (reload(generation).status, reload(generation).attempts) == ("queued", 0)
    assert len(sora_creates(workers)) == 3 and veo_creates(workers) == []

    ProviderHealth.objects.filter(provider="kie:sora2").update(open_until=timezone.now())
    assert commit(pipeline.dispatch_due) == 4

    generation = reload(generation)
    assert (generation.status, generation.model, generation.ordered_model) == ("processing", "sora2", "sora2")
    assert len(sora_creates(workers)) == 7 and veo_creates(workers) == []
    assert not GenerationEvent.objects.filter(kind="takeover").exists()


def test_it_hands_out_the_models_that_go_while_another_is_held(workers, commit, settings):
    settings.VIDEO_FALLBACK = False
    failing = open_soras_breaker(workers, commit)
    veo = video_order(workers, telegram_id=SELLER, model="veo3_fast")
    make_due(veo, *failing)

    assert commit(pipeline.dispatch_due) == 1

    assert (reload(veo).status, reload(veo).model) == ("processing", "veo3_fast")
    assert {reload(g).status for g in failing} == {"queued"}


def test_it_rests_sora_on_a_configuration_error_and_has_veo_take_its_orders(workers, commit, capsys):
    workers.kie.program(create_code=404)  # the model's API retired
    first = video_order(workers, telegram_id=SELLER)

    assert commit(pipeline.submit, generation_id=first.pk) == "model paused"

    first = reload(first)
    assert (first.status, first.model, first.ordered_model, first.attempts) == ("processing", "veo3_fast", "sora2", 1)
    assert breaker.why_held("kie", "sora2") == ["configuration"]
    # Sora's prompt was dropped at the take-over: Veo's was written for its own 8 s.
    assert GenerationEvent.objects.filter(generation=first, kind="prompt").count() == 2
    second = video_order(workers, telegram_id=SELLER + 1)
    assert commit(pipeline.submit, generation_id=second.pk) == "processing"
    assert reload(second).model == "veo3_fast"
    for generation in (first, second):
        assert pipeline.poll(reload(generation)) == "success"
        assert reload(generation).status == "completed"
        assert_charged_once(generation)
    assert len(sora_creates(workers)) == 1 and len(veo_creates(workers)) == 2
    (alert,) = alerts(workers)
    assert "KIE Sora 2: configuration failure at create" in alert
    assert_ledger_clean(capsys)


def test_it_fails_and_refunds_once_on_a_configuration_error_without_fallback(workers, commit, settings, capsys):
    settings.VIDEO_FALLBACK = False
    workers.kie.program(create_code=404)
    generation = video_order(workers, telegram_id=SELLER)

    assert commit(pipeline.submit, generation_id=generation.pk) == "failed"
    commit(watchdog.run)

    generation = reload(generation)
    assert (generation.status, generation.error_class, generation.model) == ("failed", "configuration", "sora2")
    assert_charged_once(generation, refunded=True)
    assert breaker.why_held("kie", "sora2") == []
    (alert,) = alerts(workers)
    assert "KIE Sora 2 configuration failure" in alert
    assert veo_creates(workers) == []
    assert_ledger_clean(capsys)


def test_it_does_not_bounce_an_order_between_models_when_the_account_s_key_is_refused(workers, commit, capsys):
    for key in workers.kie.keys:
        workers.kie.set_key(key, code=401)
    generation = video_order(workers, telegram_id=SELLER)
    waiting = video_order(workers, telegram_id=SELLER + 1)

    assert commit(pipeline.submit, generation_id=generation.pk) == "model paused"
    assert commit(pipeline.submit, generation_id=waiting.pk) == "provider paused"
    commit(watchdog.run)

    generation = reload(generation)
    assert (generation.status, generation.error_class, generation.model) == ("failed", "configuration", "veo3_fast")
    assert_charged_once(generation, refunded=True)
    assert GenerationEvent.objects.filter(generation=generation, kind="takeover").count() == 1
    assert (reload(waiting).status, reload(waiting).model) == ("queued", "sora2")
    assert breaker.why_held("kie", "sora2") == breaker.why_held("kie", "veo3_fast") == ["configuration"]
    assert len(alerts(workers)) == 2  # one per model
    assert len(workers.telegram.texts(chat_id=SELLER)) == 1
    assert_ledger_clean(capsys)


def test_it_lets_every_kie_model_wait_when_the_account_is_out_of_credits(workers, commit, settings):
    settings.KIE_KEY_COOLDOWN_SECONDS = 0
    for key in workers.kie.keys:
        workers.kie.set_key(key, code=402)
    sora = video_order(workers, telegram_id=SELLER)
    veo = video_order(workers, telegram_id=SELLER + 1, model="veo3_fast")
    other = video_order(workers, telegram_id=SELLER + 2)

    results = [commit(pipeline.submit, generation_id=g.pk) for g in (sora, veo, other)]
    make_due(sora, veo, other)

    assert results == ["paused", "provider paused", "provider paused"]
    assert breaker.why_held("kie", "sora2") == breaker.why_held("kie", "veo3_fast") == ["billing"]
    assert commit(pipeline.dispatch_due) == 0
    assert [(g.status, g.model) for g in map(reload, (sora, veo, other))] == [
        ("queued", "sora2"),
        ("queued", "veo3_fast"),
        ("queued", "sora2"),
    ]
    assert not GenerationEvent.objects.filter(kind="takeover").exists()
    assert not CreditTransaction.objects.filter(kind="generation_refund").exists()


def test_it_never_takes_over_a_card(workers, commit, settings):
    settings.BREAKER_FAILURES = 1
    workers.kie.program(create_code=500)
    first_card = video_order(workers, telegram_id=SELLER, kind="image", template="studio")
    card = video_order(workers, telegram_id=SELLER + 1, kind="image", template="studio")

    assert commit(pipeline.submit, generation_id=first_card.pk) == "retrying"
    assert commit(pipeline.submit, generation_id=card.pk) == "provider paused"

    assert (reload(card).status, reload(card).model) == ("queued", video_models.IMAGE_MODEL)
    assert takeover.dispatchable("kie", {video_models.IMAGE_MODEL}) is None


def test_it_never_sends_a_generation_the_provider_already_got_to_another_model(workers, commit):
    made = video_order(workers, telegram_id=SELLER)
    creating = video_order(workers, telegram_id=SELLER + 1)
    assert commit(pipeline.submit, generation_id=made.pk) == "processing"
    # A worker died while KIE was creating this one's task: KIE may hold a task we never heard of.
    Generation.objects.filter(pk=creating.pk).update(
        status="submitting",
        provider="kie",
        create_started_at=timezone.now(),
        updated_at=timezone.now() - watchdog.STALE_SUBMIT * 2,
    )
    open_soras_breaker(workers, commit)
    Generation.objects.filter(pk=made.pk).update(timeout_at=timezone.now() - timedelta(seconds=1))

    commit(watchdog.run)

    assert [(g.status, g.error_class, g.model) for g in map(reload, (made, creating))] == [
        ("failed", "timeout", "sora2"),
        ("failed", "lost", "sora2"),
    ]
    assert not GenerationEvent.objects.filter(generation__in=[made, creating], kind="takeover").exists()
    assert len(sora_creates(workers)) == 4  # the made one's and the three of the breaker


def test_it_switches_only_a_queued_row_with_no_task(workers):
    generation = video_order(workers, telegram_id=SELLER)
    Generation.objects.filter(pk=generation.pk).update(provider_task_id="task_left_by_support")
    veo = video_models.get("veo3_fast")

    assert not takeover.take_over(reload(generation), veo, ["breaker"])

    Generation.objects.filter(pk=generation.pk).update(provider_task_id="", create_started_at=timezone.now())
    assert not takeover.take_over(reload(generation), veo, ["breaker"])
    Generation.objects.filter(pk=generation.pk).update(create_started_at=None)
    assert takeover.take_over(reload(generation), veo, ["breaker"])
    assert not takeover.take_over(reload(generation), video_models.get("sora2"), ["breaker"])  # once only
    assert (reload(generation).model, reload(generation).ordered_model) == ("veo3_fast", "sora2")


def test_it_says_which_model_made_it_in_the_seller_s_language_only_when_another_did():
    taken = SimpleNamespace(kind="video", model="veo3", ordered_model="veo3_fast", seconds=8)
    own = SimpleNamespace(kind="video", model="sora2", ordered_model="sora2", seconds=10)

    with translation.override("en"):
        assert notify.made_by(taken) == "Veo 3.1 Fast was unavailable — this video was made by Veo 3.1 Quality (8 s)."
    assert notify.made_by(own) == ""


def test_it_fails_an_order_kie_calls_a_bad_request_without_resting_the_model(workers, commit):
    workers.kie.program(create_code=400)
    generation = video_order(workers, telegram_id=SELLER)

    assert commit(pipeline.submit, generation_id=generation.pk) == "failed"

    assert (reload(generation).status, reload(generation).error_class) == ("failed", "configuration")
    assert_charged_once(generation, refunded=True)
    assert breaker.why_held("kie", "sora2") == [] and veo_creates(workers) == []
