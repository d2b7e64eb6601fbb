"""The create flow: photo → description → template → wishes or prompt → count → confirm.

Each step is a function of a locked Turn; the flow's step and draft live in the database, so any web
process can take the next update. Unexpected input repeats the current step's hint.
"""

import logging
import uuid

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation

from botapp import keyboards, photo_check, purchase, texts
from botapp.models import FlowState
from botapp.turns import Outcome, Turn, new_token
from generations import services
from generations.models import unit_cost

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = photo_check.MAX_PHOTO_BYTES
IMAGE_MIME_TYPES = ("image/jpeg", "image/png", "image/webp")
DESCRIPTION_LENGTH = (3, 1000)
WISHES_MAX = 1000
PROMPT_LENGTH = (3, 2000)
STEPS = ("photo", "description", "template", "wishes", "count", "confirm")


def start(turn, kind):
    turn.reset()
    turn.go("photo", kind=kind)
    turn.say(texts.ask_photo(kind), keyboards.step_nav())


def again(turn, generation):
    """ "Make another with this product": reuse photo and description, jump to the template choice."""
    if not generation.reference_file_id:
        start(turn, generation.kind)
        return
    turn.reset()
    turn.go("template", kind=generation.kind, photo=generation.reference_file_id, description=generation.description)
    turn.say(texts.ask_template(generation.kind), keyboards.templates(generation.kind))


def on_message(turn):
    step = turn.flow.step
    if step == "email":
        purchase.take_email(turn)
    elif step == "photo":
        _take_photo(turn)
    elif step == "description":
        _take_description(turn)
    elif step == "wishes":
        _take_wishes(turn)
    elif step in ("template", "count", "confirm"):
        _repeat(turn)
    else:
        turn.say(texts.main_menu(), keyboards.main_menu())


def on_button(turn):
    parts = turn.data.split(":")
    action, argument = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
    step, draft = turn.flow.step, turn.flow.draft
    if step == "email" and action in ("back", "cancel"):
        turn.reset()
        turn.say(texts.main_menu(), keyboards.main_menu())
    elif step not in STEPS:
        turn.toast(texts.stale_button())
    elif action == "cancel":
        turn.reset()
        turn.say(texts.flow_cancelled(), keyboards.main_menu())
    elif action == "back":
        _back(turn)
    elif action == "tpl" and step == "template" and argument in keyboards.templates_for(draft["kind"]):
        turn.go("wishes", template=argument)
        _ask(turn)
    elif action == "n" and step == "count" and argument in ("1", "3", "5"):
        turn.go("confirm", count=int(argument), token=new_token())
        _ask(turn)
    elif action == "ok" and step == "confirm" and argument == draft.get("token"):
        _confirm(turn)
    else:
        turn.toast(texts.stale_button())


def _take_photo(turn):
    message = turn.message
    file_id, size = None, 0
    if message.photo:
        largest = message.photo[-1]
        file_id, size = largest.file_id, largest.file_size or 0
    elif message.document and (message.document.mime_type or "").lower() in IMAGE_MIME_TYPES:
        file_id, size = message.document.file_id, message.document.file_size or 0
    if file_id is None:
        turn.say(texts.photo_hint(), keyboards.step_nav())
        return
    if size > MAX_PHOTO_BYTES:
        turn.say(texts.photo_too_big(round(size / 1024 / 1024, 1)), keyboards.step_nav())
        return
    # Only the bytes tell what the file is: it is checked after commit, with no lock held meanwhile.
    token = new_token()
    turn.go("photo", pending_photo={"token": token, "file_id": file_id, "caption": (message.caption or "").strip()})
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
    _ask(turn)


def _take_description(turn):
    text = _text(turn)
    if text is None:
        turn.say(texts.description_hint(), keyboards.step_nav())
    elif not DESCRIPTION_LENGTH[0] <= len(text) <= DESCRIPTION_LENGTH[1]:
        turn.say(texts.description_hint(len(text)), keyboards.step_nav())
    else:
        turn.go("template", description=text)
        _ask(turn)


def _take_wishes(turn):
    own = turn.flow.draft.get("template") == "own"
    text = _text(turn)
    if own:
        if text is None or not PROMPT_LENGTH[0] <= len(text) <= PROMPT_LENGTH[1]:
            turn.say(texts.prompt_hint(None if text is None else len(text)), keyboards.step_nav())
            return
    elif text is None or len(text) > WISHES_MAX:
        turn.say(texts.wishes_hint(None if text is None else len(text)), keyboards.step_nav())
        return
    turn.go("count", wishes="" if text == "-" and not own else text)
    _ask(turn)


def _confirm(turn):
    draft, user = turn.flow.draft, turn.user
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
        )
    except services.OrderRefused as refusal:
        markup = keyboards.short_of_credits() if refusal.reason == "balance" else keyboards.step_nav()
        turn.say(texts.refused(refusal.reason, refusal.numbers), markup)
        return
    turn.reset()
    turn.say(texts.accepted(order))


def _back(turn):
    step, draft = turn.flow.step, turn.flow.draft
    previous = {
        "photo": None,
        "description": "photo",
        "template": "description",
        "wishes": "template",
        "count": "wishes",
        "confirm": "count",
    }[step]
    if previous is None:
        turn.reset()
        turn.say(texts.main_menu(), keyboards.main_menu())
        return
    draft.pop("token", None)
    turn.go(previous)
    _ask(turn)


def _ask(turn):
    """Say what the current step needs."""
    step, draft = turn.flow.step, turn.flow.draft
    kind = draft.get("kind", "video")
    if step == "photo":
        turn.say(texts.ask_photo(kind), keyboards.step_nav())
    elif step == "description":
        turn.say(texts.ask_description(), keyboards.step_nav())
    elif step == "template":
        turn.say(texts.ask_template(kind), keyboards.templates(kind))
    elif step == "wishes":
        own = draft.get("template") == "own"
        turn.say(texts.ask_prompt(kind) if own else texts.ask_wishes(draft["template"]), keyboards.step_nav())
    elif step == "count":
        turn.say(texts.ask_count(kind), keyboards.counts(kind))
    elif step == "confirm":
        needed = draft["count"] * unit_cost(kind)
        if turn.user.balance < needed:
            text = (
                texts.confirm(turn.user, draft)
                + "\n\n"
                + texts.refused("balance", {"needed": needed, "balance": turn.user.balance})
            )
            turn.say(text, keyboards.short_of_credits())
        else:
            turn.say(texts.confirm(turn.user, draft), keyboards.confirm(draft["token"]))


def _repeat(turn):
    step, kind = turn.flow.step, turn.flow.draft.get("kind", "video")
    if step == "template":
        turn.say(texts.template_hint(), keyboards.templates(kind))
    elif step == "count":
        turn.say(texts.count_hint(), keyboards.counts(kind))
    else:
        _ask(turn)


def _text(turn):
    message = turn.message
    if message is None or message.text is None:
        return None
    return message.text.strip()
