"""The steps that shape the result: the text on the card (title and selling points), the format, the video's
model and length.

The text is checked against the marketplaces' rules (generations.card_rules) before anything is charged.
"-" has the text suggested from the description: by OpenAI in a task (a webhook never waits on it), which
moves the flow on only if the flow still waits for that very suggestion; without OpenAI the deterministic
fallback is computed at once, in the turn.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django_q.tasks import async_task

from botapp import keyboards, step_texts, steps
from botapp.models import FlowState
from botapp.turns import Outcome, Turn, new_token
from generations import card_rules, formats, points, video_models
from messaging import sender

log = logging.getLogger(__name__)

SUGGEST = ("-", "—", "–")


def take_points(turn, text):
    if text is None:
        turn.say(step_texts.points_refused("empty", {}), keyboards.step_nav())
        return
    if text in SUGGEST:
        _suggest(turn)
        return
    try:
        title, lines = points.parse(text)
    except points.PointsRefused as refused:
        turn.say(step_texts.points_refused(refused.reason, refused.numbers), keyboards.step_nav())
        return
    if _refuse_broken_rules(turn, title, lines):
        return
    turn.flow.draft.pop("pending_points", None)
    turn.go("points", title=title, points=lines)
    steps.advance(turn)


def _refuse_broken_rules(turn, title, lines):
    """True (and the seller told which words) when the text breaks the marketplaces' rules."""
    fragments = card_rules.problems([title, *lines])
    if fragments:
        turn.say(step_texts.rules_broken(fragments), keyboards.step_nav())
    return bool(fragments)


def _suggest(turn):
    draft = turn.flow.draft
    if not settings.OPENAI_API_KEY:
        _apply(turn, *points.fallback(draft["description"]))
        return
    token = new_token()
    draft["pending_points"] = token
    user_id = turn.user.pk
    transaction.on_commit(
        lambda: async_task("botapp.tasks.suggest_points", user_id, token, task_name=f"points-{user_id}-{token[:8]}")
    )
    turn.say(step_texts.suggesting())


def _apply(turn, title, lines):
    if not title:
        turn.say(step_texts.nothing_suggested(), keyboards.step_nav())
        return
    turn.go("points", title=title, points=lines)
    steps.advance(turn, intro=step_texts.suggested(title, lines))


def suggest_points(user_id, token):
    """A worker's task: suggest the text from the description and move the flow on, once.

    OpenAI is asked with no lock held; the flow moves only if it still waits for this suggestion (typed text,
    Back or Cancel meanwhile, or a second delivery of the task, find the token gone and change nothing).
    """
    state = FlowState.objects.filter(pk=user_id).first()
    if not _waiting_for(state, token):
        return
    title, lines = points.suggest(state.draft.get("description", ""), kind=state.draft.get("kind", "image"))
    with transaction.atomic():
        state = FlowState.objects.select_related("user").select_for_update().filter(pk=user_id).first()
        if not _waiting_for(state, token):
            return
        turn = Turn(user=state.user, flow=state, update=None, outcome=Outcome())
        del state.draft["pending_points"]
        with translation.override(state.user.language):
            _apply(turn, title, lines)
        if state.draft.get("title"):
            # Until Telegram has taken the message, the flow knows the seller has not seen it (see shown_again).
            state.draft["unseen"] = {"token": token, "step": state.step}
        state.save()
        chat_id = state.user.telegram_id
    try:
        for reply in turn.outcome.replies:
            sender.send_message(chat_id, reply.text, markup=reply.markup)
    except sender.SendFailed as error:
        log.warning("user %s: suggested points not delivered (%s); asked again at the next message", user_id, error)
        return
    with transaction.atomic():
        state = FlowState.objects.select_for_update().filter(pk=user_id).first()
        if state is not None and (state.draft.get("unseen") or {}).get("token") == token:
            del state.draft["unseen"]
            state.save(update_fields=["draft", "updated_at"])
    log.info("user %s: points suggested", user_id)


def shown_again(turn):
    """The seller writes or taps while the suggestion's message never reached them (Telegram refused it):
    they get it now, with the question of the step they are at, and what they sent is not taken as its answer.
    True when that happened."""
    draft = turn.flow.draft
    unseen = draft.pop("unseen", None)
    if not isinstance(unseen, dict) or unseen.get("step") != turn.flow.step:
        return False  # none, or the seller has moved on since (a button): the question they see is current
    steps.ask(turn, intro=step_texts.suggested(draft.get("title", ""), draft.get("points", [])))
    return True


def _waiting_for(state, token):
    return state is not None and state.step == "points" and state.draft.get("pending_points") == token


def choose_format(turn, name):
    if name not in formats.CARD_FORMATS:
        return False
    user = turn.user
    if user.card_format != name:
        type(user).objects.filter(pk=user.pk).update(card_format=name)
        user.card_format = name
    turn.go("format", card_format=name)
    steps.advance(turn)
    return True


def choose_seconds(turn, argument):
    seconds = int(argument) if argument.isdigit() else None
    if seconds not in steps.video_model(turn.flow.draft).durations:
        return False
    turn.go("seconds", seconds=seconds)
    steps.advance(turn)
    return True


def choose_model(turn, key):
    """A model button, at the template step or from the confirmation screen: the model that makes the video,
    remembered as the seller's default. A model turned off since its button was sent gives way to the default
    one (said in a toast, and not remembered); a key of no model is a stale button (False)."""
    draft = turn.flow.draft
    if video_models.get(key) is None or draft.get("kind") != "video":
        return False
    model = video_models.chosen(key)
    if model.key != key:
        turn.toast(step_texts.model_off(key, model))
    else:
        user = turn.user
        if user.video_model != key:
            type(user).objects.filter(pk=user.pk).update(video_model=key)
            user.video_model = key
    draft["model"] = model.key
    if draft.get("seconds") not in model.durations:
        draft.pop("seconds", None)
    if turn.flow.step == "model" and steps.asks_seconds(draft):
        turn.go("seconds")  # still revising: the length chosen goes back to the confirmation screen
        steps.ask(turn)
    elif turn.flow.step == "model":
        steps.advance(turn)
    else:
        steps.ask(turn)  # the template step again, with this model selected
    return True


def revise(turn, what):
    """From the confirmation screen: change the format, the text or the video's model (and its length), then
    come back to it."""
    draft = turn.flow.draft
    if what == "fmt" and draft.get("kind") == "image":
        step = "format"
    elif what == "pts" and steps.has_points(draft):
        step = "points"
    elif what == "model" and draft.get("kind") == "video" and video_models.choosing():
        step = "model"
    else:
        return False
    draft.pop("token", None)
    turn.go(step, revising=True)
    steps.ask(turn)
    return True


def check_before_order(turn):
    """At confirm: the text still within the rules (True), or the seller told what to change (False)."""
    draft = turn.flow.draft
    if not steps.has_points(draft):
        return True
    if not draft.get("title"):
        turn.go("points")
        steps.ask(turn)
        return False
    return not _refuse_broken_rules(turn, draft["title"], draft.get("points") or [])
