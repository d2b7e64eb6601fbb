"""A card's title and selling points: typed by the seller (`parse`) or drawn from the description (`suggest`).

They are typeset by us on infographics and Ozon covers (generations/cards.py, cover.py), so they must be
short: a title of at most TITLE_MAX characters and at most formats.MAX_POINTS points of POINT_MAX each.
What the seller typed is never cut silently (`PointsRefused` says what is too long); what we suggest is
shortened at a word. `suggest` asks OpenAI when it is configured and falls back to a deterministic split
of the description when it is absent or failing.
"""

import json
import logging
import re
import unicodedata

from django.conf import settings

from generations import card_rules, formats, prompts

log = logging.getLogger(__name__)

TITLE_MAX = 40
POINT_MAX = 60
SHORT_PHRASE = 12
SKIP = "-"
# What a bullet or a number in front of a line may be: symbols, dashes, emoji and their joiners.
_BULLET_CATEGORIES = {"So", "Sk", "Sm", "Pd", "Cf", "Mn", "Me", "Zs"}
_BULLET_MARKS = set("•·*◦‣⁃>")
_NUMBERING = re.compile(r"^(?:\(?\d{1,2}[.)](?!\d)|\d\ufe0f?\u20e3)\s*")
_SPACES = re.compile(r"\s+")


class PointsRefused(ValueError):
    """What the seller typed can't go on the card as it is; `reason` and `numbers` go into the hint.

    reason: "empty"; "title_long" (length, limit); "point_long" (number, length, limit);
    "too_many" (count, limit).
    """

    def __init__(self, reason, **numbers):
        super().__init__(f"points refused: {reason} {numbers}")
        self.reason, self.numbers = reason, numbers


def parse(text):
    """(title, points) from the seller's lines: the first is the title, each next one a point."""
    lines = [_clean(line) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise PointsRefused("empty")
    title, points = lines[0], lines[1:]
    if len(title) > TITLE_MAX:
        raise PointsRefused("title_long", length=len(title), limit=TITLE_MAX)
    if len(points) > formats.MAX_POINTS:
        raise PointsRefused("too_many", count=len(points), limit=formats.MAX_POINTS)
    for number, point in enumerate(points, start=1):
        if len(point) > POINT_MAX:
            raise PointsRefused("point_long", number=number, length=len(point), limit=POINT_MAX)
    return title, points


def suggest(description, *, kind):
    """(title, points) drawn from the product's description, within the limits and the marketplaces' rules."""
    if settings.OPENAI_API_KEY:
        try:
            instructions = prompts._render(
                "prompts/points.txt",
                {"kind": kind, "title_max": TITLE_MAX, "point_max": POINT_MAX, "max_points": formats.MAX_POINTS},
            )
            title, points = _tidy(*_read_answer(prompts._ask_openai(instructions, f"Product: {description}")))
            if title:
                return title, points
            log.warning("points writer gave no title, fallback used")
        except Exception as error:  # noqa: BLE001  (any failure of the writer falls back to the description)
            log.warning("points writer failed (%s), fallback used", type(error).__name__)
    return fallback(description)


def fallback(description):
    """Without OpenAI: the first phrase of the description as the title, the next phrases as the points."""
    phrases = [_clean(part) for part in re.split(r"[.;!?\n]+|,\s+|\s[—–-]\s", description or "")]
    phrases = [phrase for phrase in phrases if len(phrase) >= 2]
    if not phrases:
        return "", []
    title, rest = phrases[0], phrases[1:]
    # A bare figure ("450 мл") says more beside the name than as a selling point of its own.
    while rest and len(rest[0]) <= SHORT_PHRASE and len(f"{title}, {rest[0]}") <= TITLE_MAX:
        title = f"{title}, {rest.pop(0)}"
    return _tidy(title, rest)


def _read_answer(answer):
    """The model's (title, points): JSON as asked, or else one per line with the title first."""
    text = (answer or "").strip()
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            data = json.loads(text[start : end + 1])
        except ValueError:
            data = None
        if isinstance(data, dict):
            points = data.get("points")
            points = [str(p) for p in points if isinstance(p, (str, int, float))] if isinstance(points, list) else []
            return str(data.get("title") or ""), points
    lines = [_clean(line) for line in text.strip("`").splitlines()]
    lines = [line for line in lines if line and not line.lower().startswith("json")]
    return (lines[0], lines[1:]) if lines else ("", [])


def _tidy(title, points):
    """Shortened at a word, capitalised, without repeats or anything the marketplaces forbid."""
    title = _capital(_shorten(_clean(title), TITLE_MAX))
    if card_rules.problems([title]):
        title = ""
    kept = []
    for point in points:
        point = _capital(_shorten(_clean(point), POINT_MAX))
        if len(point) >= 2 and point.lower() not in {k.lower() for k in (title, *kept)}:
            if not card_rules.problems([point]):
                kept.append(point)
    return title, kept[: formats.MAX_POINTS]


def _clean(line):
    """A line without its bullet or number, its spaces collapsed and its trailing separators."""
    line = _SPACES.sub(" ", str(line)).strip()
    while True:
        numbered = _NUMBERING.sub("", line, count=1)
        stripped = numbered.lstrip("".join(_BULLET_MARKS))
        while stripped and unicodedata.category(stripped[0]) in _BULLET_CATEGORIES:
            stripped = stripped[1:]
        stripped = stripped.strip()
        if stripped == line:
            break
        line = stripped
    return line.rstrip(" ,;:")


def _capital(text):
    return text[:1].upper() + text[1:]


def _shorten(text, limit):
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut[:limit].rstrip(" ,;:—–-")
