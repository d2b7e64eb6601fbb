"""The order of the create flow's steps, and what each step asks.

photo → description → template (and a video's model, when several are on) → points (infographic, Ozon cover) →
wishes or prompt → format (cards, asked once per seller) or length (videos, when their model has several
priced) → count → confirm. Which steps a draft goes through depends on it, so the next and the previous step
are worked out here, in one place.
"""

from botapp import keyboards, step_texts, texts
from botapp.turns import new_token
from generations import formats, video_models
from generations.models import unit_cost

# "kind" is the question after a photo sent at the menu: a video or a card? "model" is asked only from the
# confirmation screen (the template step offers the models itself).
STEPS = (
    "kind",
    "photo",
    "description",
    "template",
    "points",
    "wishes",
    "format",
    "seconds",
    "count",
    "confirm",
    "model",
)


def has_points(draft):
    return draft.get("template") in keyboards.POINTS_TEMPLATES


def video_model(draft):
    """The model a video draft is made by: the chosen one while it is on, else the default one."""
    return video_models.chosen(draft.get("model"))


def asks_seconds(draft):
    return len(video_model(draft).durations) > 1


def settle_model(turn):
    """Give a video draft an enabled model and one of its lengths: its own model while on; none yet, the seller's
    default (or the default one); one turned off meanwhile, the default one, and a line telling the seller so
    (else "")."""
    draft = turn.flow.draft
    if draft.get("kind") != "video":
        return ""
    key = draft.get("model")
    model = video_models.chosen(key or turn.user.video_model)
    draft["model"] = model.key
    if draft.get("seconds") not in model.durations:
        draft.pop("seconds", None)  # the model's default length, priced on the screen that follows
    return step_texts.model_off(key, model) if key and key != model.key else ""


def advance(turn, intro=""):
    """Go on from the current step to the next one the draft needs, and ask for it.

    A step changed from the confirmation screen (the format, the text) goes back there.
    """
    draft = turn.flow.draft
    if draft.pop("revising", False):
        turn.go("confirm", token=new_token())
    else:
        turn.go(_next(turn))
        if turn.flow.step == "confirm":
            draft["token"] = new_token()
    ask(turn, intro)


def _next(turn):
    step, draft = turn.flow.step, turn.flow.draft
    if step == "template":
        return "points" if has_points(draft) else "wishes"
    if step == "points":
        return "wishes"
    if step == "wishes":
        if draft["kind"] == "video":
            return "seconds" if asks_seconds(draft) else "count"
        if turn.user.card_format in formats.CARD_FORMATS:
            # Asked once: the seller's remembered choice, changeable on the confirmation screen.
            draft["card_format"] = turn.user.card_format
            return "count"
        return "format"
    if step == "count":
        return "confirm"
    return "count"  # after the format or the length


def previous(turn):
    """The step "Back" leads to, or None for the main menu."""
    step, draft = turn.flow.step, turn.flow.draft
    if draft.get("revising"):
        return "confirm"
    if step == "wishes":
        return "points" if has_points(draft) else "template"
    if step == "count":
        if draft.get("kind") == "image":
            return "format"
        return "seconds" if asks_seconds(draft) else "wishes"
    if step in ("format", "seconds"):
        return "wishes"
    return {"kind": None, "photo": None, "description": "photo", "template": "description", "points": "template"}.get(
        step, "count"
    )


def ask(turn, intro=""):
    """Say what the current step needs (after `intro`, in the same message)."""
    step, draft = turn.flow.step, turn.flow.draft
    kind = draft.get("kind", "video")
    if step in ("template", "confirm"):
        intro = "\n\n".join(line for line in (settle_model(turn), intro) if line)
    text, markup = _question(turn, step, draft, kind)
    turn.say(f"{intro}\n\n{text}" if intro else text, markup)


def _question(turn, step, draft, kind):
    if step == "kind":
        return step_texts.what_to_make(), keyboards.photo_kinds()
    if step == "photo":
        return texts.ask_photo(kind), keyboards.step_nav()
    if step == "description":
        return texts.ask_description(), keyboards.step_nav()
    if step == "template":
        model = draft.get("model")
        return step_texts.template_choice(kind, model), keyboards.templates(kind, model)
    if step == "points":
        return step_texts.ask_points(kind, draft.get("title", ""), draft.get("points") or ()), keyboards.step_nav()
    if step == "wishes":
        if draft.get("template") == "own":
            return texts.ask_prompt(kind), keyboards.step_nav()
        return texts.ask_wishes(draft["template"]), keyboards.wishes()
    if step == "format":
        return step_texts.ask_format(), keyboards.card_formats()
    if step == "seconds":
        return step_texts.ask_seconds(), keyboards.durations(video_model(draft))
    if step == "model":
        return step_texts.models_choice(draft.get("model")), keyboards.models(draft.get("model"))
    model = draft.get("model") if kind == "video" else None
    if step == "count":
        return texts.ask_count(kind, draft.get("seconds"), model), keyboards.counts(kind, draft.get("seconds"), model)
    needed = draft["count"] * unit_cost(kind, draft.get("seconds"), model)
    if turn.user.balance < needed:
        text = (
            texts.confirm(turn.user, draft)
            + "\n\n"
            + texts.refused("balance", {"needed": needed, "balance": turn.user.balance})
        )
        return text, keyboards.short_of_credits()
    return texts.confirm(turn.user, draft), keyboards.confirm(draft["token"], draft)


def repeat(turn):
    """The answer to a message at a step that wants a button: the hint and the buttons again."""
    draft = turn.flow.draft
    step, kind, model = turn.flow.step, draft.get("kind", "video"), draft.get("model")
    if step == "template":
        turn.say(texts.template_hint(), keyboards.templates(kind, model))
    elif step == "count":
        turn.say(texts.count_hint(), keyboards.counts(kind, draft.get("seconds"), model))
    elif step == "format":
        turn.say(step_texts.format_hint(), keyboards.card_formats())
    elif step == "seconds":
        turn.say(step_texts.seconds_hint(), keyboards.durations(video_model(draft)))
    else:
        ask(turn)
