"""The create flow: photo → description → template (and a video's model) → (points) → wishes or prompt → (format
or length) → count → confirm (the order of the steps: botapp/steps.py; the card's text, format, the video's model
and length: botapp/card_steps.py).

Each step is a function of a locked Turn; the flow's step and draft live in the database, so any web
process can take the next update. Unexpected input repeats the current step's hint.
"""

import logging
import uuid

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation

from botapp import card_steps, keyboards, photo_check, promo_steps, purchase, step_texts, steps, texts
from botapp.models import FlowState
from botapp.turns import Outcome, Turn, new_token
from generations import services, video_models

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = photo_check.MAX_PHOTO_BYTES
IMAGE_MIME_TYPES = ("image/jpeg", "image/png", "image/webp")
DESCRIPTION_LENGTH = (3, 1000)
WISHES_MAX = 1000
PROMPT_LENGTH = (3, 2000)
STEPS = steps.STEPS
# What a seller types to go without wishes (compared case-insensitively, without a final full stop).
SKIP_WISHES = {"-", "—", "–", "пропустить", "нет", "skip", "no"}


def start(turn, kind):
    turn.reset()
    turn.go("photo", kind=kind)
    turn.say(texts.ask_photo(kind), keyboards.step_nav())


def again(turn, generation):
    """ "Make another with this product": reuse photo and description, jump to the template choice, with the
    model that made this one selected while it is on (else the one the seller ordered, else their default)."""
    if not generation.reference_file_id:
        start(turn, generation.kind)
        return
    turn.reset()
    turn.go("template", kind=generation.kind, photo=generation.reference_file_id, description=generation.description)
    if generation.kind == "video":
        enabled = [model.key for model in video_models.enabled()]
        model = next((key for key in (generation.model, generation.ordered_model) if key in enabled), None)
        if model:
            turn.go("template", model=model)
    steps.ask(turn)


def on_message(turn):
    step, message = turn.flow.step, turn.message
    album = getattr(message, "media_group_id", None)
    if album and album == turn.flow.draft.get("album"):
        return  # a later photo of an album whose first photo is taken: quietly ignored
    if card_steps.shown_again(turn):
        return
    if step == "email":
        purchase.take_email(turn)
    elif step == "promo":
        promo_steps.take_code(turn)
    elif step == "photo":
        _take_photo(turn)
    elif step == "description":
        _take_description(turn)
    elif step == "points":
        card_steps.take_points(turn, _text(turn))
    elif step == "wishes":
        _take_wishes(turn)
    elif step == "kind" and _photo_of(message) is not None:
        _offer_photo(turn)  # another photo before the choice: this one is asked about instead
    elif step in STEPS:
        steps.repeat(turn)
    elif _photo_of(message) is not None:
        _offer_photo(turn)
    else:
        turn.say(texts.main_menu(), keyboards.main_menu())


def on_button(turn):
    parts = turn.data.split(":")
    action, argument = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
    step = turn.flow.step
    if step in ("email", "promo") and action in ("back", "cancel"):
        turn.reset()
        turn.say(texts.main_menu(), keyboards.main_menu())
    elif step not in STEPS:
        turn.toast(texts.stale_button())
    elif action == "cancel":
        turn.reset()
        turn.say(texts.flow_cancelled(), keyboards.main_menu())
    elif action == "back":
        _back(turn)
    elif not _step_button(turn, step, action, argument):
        turn.toast(texts.stale_button())


def _step_button(turn, step, action, argument):
    """Handle a button of the current step; False when it belongs to another step (a stale button)."""
    draft = turn.flow.draft
    if action == "kind" and step == "kind" and argument in ("video", "image"):
        _photo_kind_chosen(turn, argument)
    elif action == "tpl" and step == "template" and argument in keyboards.templates_for(draft["kind"]):
        turn.go("template", template=argument)
        draft.pop("pending_points", None)
        if not steps.has_points(draft):
            # Text typed for an infographic stays off a template that puts none on the result.
            draft.pop("title", None)
            draft.pop("points", None)
        steps.advance(turn)
    elif action == "skip" and step == "wishes" and draft.get("template") != "own":
        turn.go("wishes", wishes="")
        steps.advance(turn)
    elif action == "fmt" and step == "format":
        return card_steps.choose_format(turn, argument)
    elif action == "sec" and step == "seconds" and draft.get("kind") == "video":
        return card_steps.choose_seconds(turn, argument)
    elif action == "model" and step in ("template", "model"):
        return card_steps.choose_model(turn, argument)
    elif action == "n" and step == "count" and argument in ("1", "3", "5"):
        turn.go("count", count=int(argument))
        steps.advance(turn)
    elif action == "edit" and step == "confirm":
        return card_steps.revise(turn, argument)
    elif action == "ok" and step == "confirm" and argument == draft.get("token"):
        _confirm(turn)
    else:
        return False
    return True


def _photo_of(message):
    """(file_id, size) of the photo or image file in `message`, or None."""
    if message is None:
        return None
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size or 0
    if message.document and (message.document.mime_type or "").lower() in IMAGE_MIME_TYPES:
        return message.document.file_id, message.document.file_size or 0
    return None


def _offer_photo(turn):
    """A photo sent at the menu starts an order: a video or a card? The photo is checked once it is chosen."""
    message = turn.message
    file_id, size = _photo_of(message)
    if size > MAX_PHOTO_BYTES:
        turn.say(texts.photo_too_big(round(size / 1024 / 1024, 1)), keyboards.main_menu())
        return
    turn.reset()
    offered = {"file_id": file_id, "caption": (message.caption or "").strip()}
    turn.go("kind", offered=offered, album=message.media_group_id or "")
    steps.ask(turn, intro=step_texts.album_first() if message.media_group_id else "")


def _photo_kind_chosen(turn, kind):
    offered = turn.flow.draft.pop("offered", None)
    if not isinstance(offered, dict):
        start(turn, kind)
        return
    turn.go("photo", kind=kind)
    _check_later(turn, offered["file_id"], offered["caption"])


def _take_photo(turn):
    message = turn.message
    photo = _photo_of(message)
    if photo is None:
        turn.say(texts.photo_hint(), keyboards.step_nav())
        return
    file_id, size = photo
    if size > MAX_PHOTO_BYTES:
        turn.say(texts.photo_too_big(round(size / 1024 / 1024, 1)), keyboards.step_nav())
        return
    if message.media_group_id:
        turn.go("photo", album=message.media_group_id)
        turn.say(step_texts.album_first())
    _check_later(turn, file_id, (message.caption or "").strip())


def _check_later(turn, file_id, caption):
    # Only the bytes tell what the file is: it is checked after commit, with no lock held meanwhile.
    token = new_token()
    turn.go("photo", pending_photo={"token": token, "file_id": file_id, "caption": caption})
    turn.after(check_photo, turn.user.pk, token)


def check_photo(user_id, token):
    """After commit, off the event loop: download and check the photo the flow waits for, then move on.

    The flow moves only if it still waits for this very file under the user's lock: a newer photo, a
    cancel or a back button meanwhile (or a second run of this action) make it change nothing.
    """
    pending = _waiting_for(FlowState.objects.filter(pk=user_id).first(), token)
    if pending is None:
        return []
    try:
        name, refusal = photo_check.fetch_and_store(pending["file_id"]), None
    except photo_check.PhotoRefused as refused:
        name, refusal = None, refused.reason
        log.info("user %s: photo refused (%s)", user_id, refusal)
    with transaction.atomic():
        state = FlowState.objects.select_related("user").select_for_update().filter(pk=user_id).first()
        turn = None
        if _waiting_for(state, token) is not None:
            turn = Turn(user=state.user, flow=state, update=None, outcome=Outcome())
            del state.draft["pending_photo"]
            with translation.override(state.user.language):
                if refusal:
                    turn.say(texts.photo_refused(refusal), keyboards.step_nav())
                else:
                    _photo_checked(turn, pending["file_id"], name, pending["caption"])
            state.save()
    if turn is None:
        if name:
            default_storage.delete(name)  # the flow moved on meanwhile: this copy is nobody's
        return []
    return turn.outcome.replies


def _waiting_for(state, token):
    """The pending photo of a flow still at the photo step waiting for the file `token` stands for, or None."""
    pending = state.draft.get("pending_photo") if state is not None and state.step == "photo" else None
    return pending if isinstance(pending, dict) and pending.get("token") == token else None


def _photo_checked(turn, file_id, image, caption):
    turn.go("description", photo=file_id, image=image)
    if DESCRIPTION_LENGTH[0] <= len(caption) <= DESCRIPTION_LENGTH[1]:
        # A caption is the description the user would type next: take it and move on.
        turn.go("template", description=caption)
    steps.ask(turn)


def _take_description(turn):
    text = _text(turn)
    if text is None:
        turn.say(texts.description_hint(), keyboards.step_nav())
    elif not DESCRIPTION_LENGTH[0] <= len(text) <= DESCRIPTION_LENGTH[1]:
        turn.say(texts.description_hint(len(text)), keyboards.step_nav())
    else:
        turn.go("template", description=text)
        steps.ask(turn)


def _take_wishes(turn):
    own = turn.flow.draft.get("template") == "own"
    text = _text(turn)
    if own:
        if text is None or not PROMPT_LENGTH[0] <= len(text) <= PROMPT_LENGTH[1]:
            turn.say(texts.prompt_hint(None if text is None else len(text)), keyboards.step_nav())
            return
    elif text is None or len(text) > WISHES_MAX:
        turn.say(texts.wishes_hint(None if text is None else len(text)), keyboards.wishes())
        return
    skipped = not own and text.rstrip(".!").casefold() in SKIP_WISHES
    turn.go("wishes", wishes="" if skipped else text)
    steps.advance(turn)


def _confirm(turn):
    draft, user = turn.flow.draft, turn.user
    if not card_steps.check_before_order(turn):
        return
    video = draft["kind"] == "video"
    model = steps.video_model(draft)
    turned_off = draft.get("model") and draft["model"] != model.key
    if video and (turned_off or draft.get("seconds") and draft["seconds"] not in model.durations):
        # The model or the length is off since the screen was shown, and the price with it. The screen again.
        draft["token"] = new_token()
        steps.ask(turn)
        return
    try:
        order = services.create_order(
            user=user,
            kind=draft["kind"],
            template=draft["template"],
            description=draft["description"],
            wishes=draft.get("wishes", ""),
            reference_file_id=draft["photo"],
            reference_image=draft.get("image", ""),
            count=draft["count"],
            order_id=uuid.UUID(draft["token"]),
            card_format=draft.get("card_format", ""),
            seconds=draft.get("seconds"),
            title=draft.get("title", ""),
            points=draft.get("points") or (),
            model=model.key if video else None,
        )
    except services.OrderRefused as refusal:
        markup = keyboards.short_of_credits() if refusal.reason == "balance" else keyboards.step_nav()
        turn.say(texts.refused(refusal.reason, refusal.numbers), markup)
        return
    turn.reset()
    turn.say(texts.accepted(order))


def _back(turn):
    draft = turn.flow.draft
    previous = steps.previous(turn)
    if previous is None:
        turn.reset()
        turn.say(texts.main_menu(), keyboards.main_menu())
        return
    for key in ("token", "pending_points", "revising"):
        draft.pop(key, None)
    turn.go(previous)
    if previous == "confirm":
        draft["token"] = new_token()
    steps.ask(turn)


def _text(turn):
    message = turn.message
    if message is None or message.text is None:
        return None
    return message.text.strip()
