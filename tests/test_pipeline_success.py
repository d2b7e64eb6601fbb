import pytest

from billing import ledger
from billing.models import CreditTransaction
from generations import media, pipeline
from generations.models import Generation
from tests.factories import make_user, place_order, product_photo

pytestmark = pytest.mark.django_db


def run_to_result(generation, workers):
    assert pipeline.submit(generation_id=generation.pk) == "processing"
    generation.refresh_from_db()
    assert pipeline.poll(generation) == "success"  # finish runs inline (django-q2 sync in tests)
    generation.refresh_from_db()
    return generation


def test_it_makes_a_video_and_sends_it_to_the_seller(workers, django_capture_on_commit_callbacks):
    user = make_user(credits=100, telegram_id=4242)
    photo = product_photo()
    order = place_order(user, telegram=workers.telegram, photo=photo)
    generation = order.generations[0]

    generation = run_to_result(generation, workers)

    assert generation.status == "completed" and generation.result_file.name.endswith(".mp4")
    assert generation.final_prompt.startswith("UGC video prompt") and generation.attempts == 1
    create = workers.kie.requests("createTask")[0]
    assert create.params["model"] == "sora-2-image-to-video"
    assert create.params["input"]["aspect_ratio"] == "portrait" and create.params["input"]["n_frames"] == "10"
    # The photo went to KIE as bytes we downloaded; the Telegram link (with the bot token) never left.
    assert workers.kie.uploads[0].content == photo
    assert not workers.kie.saw_text("/file/bot") and not workers.kie.saw_text(workers.telegram.token)
    video = workers.telegram.requests("sendVideo")[-1]
    assert video.params["chat_id"] == 4242 and f"#{generation.pk}" in video.params["caption"]
    buttons = [b["callback_data"] for row in video.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"gen:again:{generation.pk}", "menu:main"]
    assert CreditTransaction.objects.filter(generation=generation).count() == 1
    assert ledger.find_mismatches() == []


def test_it_makes_a_marketplace_ready_card_and_sends_it_as_photo_and_document(workers):
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, kind="image", template="studio")

    generation = run_to_result(order.generations[0], workers)

    create = workers.kie.requests("createTask")[0]
    assert create.params["model"] == "google/nano-banana-edit" and create.params["input"]["image_size"] == "3:4"
    with generation.result_file.open("rb") as file:
        assert media.probe_image(file.read()) == ("JPEG", 1200, 1600)
    photo = workers.telegram.requests("sendPhoto")[-1]
    document = workers.telegram.requests("sendDocument")[-1]
    assert photo.files["photo"][1] == document.files["document"][1]
    assert document.files["document"][0] == "keramicheskaya-kruzhka-350-ml.jpg"


def test_it_runs_the_videos_of_one_order_each_on_its_own(workers):
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, count=3)
    first, second, third = order.generations
    for generation in order.generations:
        pipeline.submit(generation_id=generation.pk)
    workers.kie.program(outcome="fail", fail_code="500", fail_msg="Your content was flagged by moderation")

    for generation in (first, second):
        generation.refresh_from_db()
        pipeline.poll(generation)

    statuses = list(Generation.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["completed", "completed", "processing"]
    assert len(workers.telegram.requests("sendVideo")) == 2
    # One download from Telegram serves the whole order: the photo is stored once.
    assert len(workers.telegram.requests("getFile")) == 1


def test_it_uses_the_sellers_own_prompt_as_written(workers):
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, template="own", wishes="Кружка вращается на столе")

    pipeline.submit(generation_id=order.generations[0].pk)

    assert workers.kie.requests("createTask")[0].params["input"]["prompt"] == "Кружка вращается на столе"
    assert workers.openai.calls == []


def test_it_falls_back_to_the_template_prompt_when_openai_is_down(workers):
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, wishes="осенний парк")
    workers.openai.fail_next(status=503, type="server_error", times=3)

    pipeline.submit(generation_id=order.generations[0].pk)

    prompt = workers.kie.requests("createTask")[0].params["input"]["prompt"]
    assert prompt.startswith("Handheld smartphone UGC video") and "Керамическая кружка, 350 мл" in prompt
    assert "осенний парк" in prompt
    assert len(workers.openai.calls) == 3


def test_it_writes_template_prompts_without_an_openai_key(workers, settings):
    settings.OPENAI_API_KEY = ""
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, kind="image", template="lifestyle")

    pipeline.submit(generation_id=order.generations[0].pk)

    assert workers.kie.requests("createTask")[0].params["input"]["prompt"].startswith("Lifestyle product photo")
    assert workers.openai.calls == []


def test_it_alerts_operators_once_when_openai_quota_is_gone_and_goes_on(workers):
    user = make_user(credits=100)
    order = place_order(user, telegram=workers.telegram, count=3)
    workers.openai.fail_next(status=429, type="insufficient_quota", code="insufficient_quota", times=3)

    for generation in order.generations:
        assert pipeline.submit(generation_id=generation.pk) == "processing"

    alerts = [call for call in workers.telegram.requests("sendMessage") if call.params["chat_id"] == 900001]
    assert len(alerts) == 1 and "prompt writer is down" in alerts[0].params["text"]
