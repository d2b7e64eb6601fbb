"""The «Инфографика» card: the seller's title and selling points typeset by us on the AI scene.

Image models garble Cyrillic, so the model draws only the scene and we draw the text, in the project's own
font (Noto Sans, generations/fonts), on a semi-opaque panel inside the format's safe area: marketplaces put
badges and buttons on a card's corners, and stories their progress bar and reply field on the top and the
bottom (docs/marketplaces.md). The text wraps, shrinks to fit, and a word too long for a line is hyphenated;
nothing is ever drawn outside the panel. Deterministic: the same scene and text give the same pixels.
"""

from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps, ImageStat

from generations import formats, media

# (left, top, right, bottom) margins kept free of text, in pixels of the format's size.
SAFE_INSETS = {
    "wb_ozon": (72, 128, 72, 96),
    "ym_square": (72, 96, 72, 72),
    "ym_portrait": (72, 128, 72, 96),
    "stories": (64, 250, 64, 300),
}
_DEFAULT_INSETS = SAFE_INSETS[formats.DEFAULT_CARD_FORMAT]

PANEL = (18, 20, 28)  # near-black slate; its opacity over the scene is measured (panel_opacity)
INK = (255, 255, 255)
ACCENT = (255, 196, 38)  # the bullets: decoration, not text
MIN_CONTRAST = 7.0  # WCAG AAA for body text, so JPEG and a busy scene still leave it above AA's 4.5
_OPACITIES = [round(0.6 + step * 0.02, 2) for step in range(17)]  # 0.60 … 0.92

_PANEL_SHARE = 0.45  # of the safe area's height: the scene stays the card's subject
_MAX_PANEL_SHARE = 0.6  # for long texts, before anything is cut
_TITLE_SHARE = 0.062  # of the card's width, before shrinking
_POINT_SHARE = 0.043
_SCALES = (1.0, 0.92, 0.84, 0.76, 0.68, 0.6)
_ASCENT, _DESCENT = 0.96, 0.26  # of the font size: Noto Sans' tallest (Й, Ё) and deepest (у, Щ) ink
_VOWELS = set("аеёиоуыэюяaeiouy")
_NEVER_STARTS_A_LINE = set("ьъй")


@dataclass(frozen=True)
class Block:
    """One title or point: its lines and the box their ink lies in, (left, top, right, bottom)."""

    lines: tuple
    size: int
    bold: bool
    box: tuple
    baselines: tuple  # y of each line's baseline
    bullet: tuple | None = None  # the box of a point's bullet mark


@dataclass(frozen=True)
class Layout:
    size: tuple
    safe: tuple  # the area text may use, (left, top, right, bottom)
    panel: tuple | None  # None: nothing to typeset
    radius: int
    blocks: tuple

    def boxes(self):
        """Every box drawn: the panel, each block's text and each bullet."""
        if self.panel is None:
            return []
        return [self.panel] + [b.box for b in self.blocks] + [b.bullet for b in self.blocks if b.bullet]


def safe_area(card_format):
    width, height = card_format.size
    left, top, right, bottom = SAFE_INSETS.get(card_format.name, _DEFAULT_INSETS)
    return (left, top, width - right, height - bottom)


def font(size, *, bold=True):
    """The project's Cyrillic font (Noto Sans) at `size` px: what every text we draw is set in."""
    return media._font(size, bold)


def layout(card_format, title, points):
    """Where the panel and each line go on a card of `card_format` (a CardFormat or its name)."""
    card_format = _format(card_format)
    title, points = _clean(title), [p for p in map(_clean, points or ()) if p][: formats.MAX_POINTS]
    safe = safe_area(card_format)
    if not title and not points:
        return Layout(card_format.size, safe, None, 0, ())
    width, room = card_format.size[0], safe[3] - safe[1]
    # Larger type first; three-line blocks only when two lines fit at no size; then a taller panel; cut with
    # "…" as the last resort.
    tries = [(scale, 2, 2, _PANEL_SHARE, False) for scale in _SCALES]
    tries += [(scale, 3, 3, _PANEL_SHARE, False) for scale in _SCALES]
    tries += [(_SCALES[-1], 3, 3, _MAX_PANEL_SHARE, False), (_SCALES[-1], 3, 2, _MAX_PANEL_SHARE, True)]
    for scale, title_lines, point_lines, share, cut in tries:
        stack = _stack(safe, width, scale, (title, title_lines), [(p, point_lines) for p in points], cut)
        if stack and stack[1] <= room * share:
            break
    # 4 long points on a square card at the smallest size: one line each, then the last points go.
    for kept in range(len(points), -1, -1):
        if stack[1] <= room * _MAX_PANEL_SHARE:
            break
        stack = _stack(safe, width, _SCALES[-1], (title, 2), [(p, 1) for p in points[:kept]], True)
    return _placed(card_format.size, safe, width, *stack)


def typeset(image, *, title, points, card_format):
    """The scene (a PIL image, fitted to the format's size) with the title and points drawn on a panel;
    the scene unchanged when there is neither. Returns an RGB image."""
    card_format = _format(card_format)
    scene = image.convert("RGB")
    if scene.size != card_format.size:
        scene = ImageOps.fit(scene, card_format.size, Image.Resampling.LANCZOS)
    plan = layout(card_format, title, points)
    if plan.panel is None:
        return scene
    opacity = panel_opacity(scene.crop(plan.panel))
    overlay = Image.new("RGBA", scene.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rounded_rectangle(plan.panel, plan.radius, fill=(*PANEL, round(255 * opacity)))
    card = Image.alpha_composite(scene.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(card)
    for block in plan.blocks:
        face = font(block.size, bold=block.bold)
        for line, baseline in zip(block.lines, block.baselines, strict=True):
            draw.text((block.box[0], baseline), line, font=face, fill=INK, anchor="ls")
        if block.bullet:
            draw.ellipse(block.bullet, fill=ACCENT)
    return card


def panel_opacity(region):
    """The least opacity of the panel over `region` that keeps white ink at MIN_CONTRAST over its brightest
    colours (each channel's maximum bounds every pixel's luminance from above)."""
    brightest = tuple(high for _low, high in ImageStat.Stat(region.convert("RGB")).extrema)
    for opacity in _OPACITIES:
        shown = tuple(p * opacity + b * (1 - opacity) for p, b in zip(PANEL, brightest, strict=True))
        if contrast(INK, shown) >= MIN_CONTRAST:
            return opacity
    return _OPACITIES[-1]


def contrast(first, second):
    """WCAG 2 contrast ratio of two sRGB colours, 1…21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour):
    def linear(channel):
        channel /= 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _format(card_format):
    return formats.card_format(card_format) if isinstance(card_format, str) or card_format is None else card_format


def _clean(text):
    return " ".join(str(text or "").split())


def _metrics(width, scale):
    title, point = round(width * _TITLE_SHARE * scale), round(width * _POINT_SHARE * scale)
    return {
        "title": title,
        "point": point,
        "pad": round(width * 0.04),
        "indent": round(point * 0.9),
        "bullet": max(6, round(point * 0.32)),
        "after_title": round(title * 0.4),
        "between": round(point * 0.42),
    }


def _stack(safe, width, scale, title, points, cut):
    """([(lines, size, bold, indent)], height of the panel, metrics) at this scale, or None when a block
    would need more lines than allowed and cutting is not."""
    m = _metrics(width, scale)
    inner = safe[2] - safe[0] - 2 * m["pad"]
    blocks, height = [], 2 * m["pad"]
    for kind, (text, max_lines) in [("title", title)] + [("point", p) for p in points]:
        if not text:
            continue
        size, indent = m[kind], (m["indent"] if kind == "point" else 0)
        lines = wrap(text, font(size, bold=kind == "title"), inner - indent)
        if len(lines) > max_lines:
            if not cut:
                return None
            lines = _cut(lines, max_lines, font(size, bold=kind == "title"), inner - indent)
        if blocks:
            height += m["after_title"] if blocks[-1][2] else m["between"]
        blocks.append((lines, size, kind == "title", indent))
        height += round(size * (_ASCENT + _DESCENT)) * len(lines)
    return blocks, height, m


def _placed(size, safe, width, blocks, height, m):
    """The stacked blocks at the bottom of the safe area, in a panel as wide as it."""
    panel = (safe[0], safe[3] - height, safe[2], safe[3])
    y, placed = panel[1] + m["pad"], []
    for index, (lines, font_size, bold, indent) in enumerate(blocks):
        if index:
            y += m["after_title"] if blocks[index - 1][2] else m["between"]
        pitch = round(font_size * (_ASCENT + _DESCENT))
        left = panel[0] + m["pad"] + indent
        baselines = tuple(y + round(font_size * _ASCENT) + i * pitch for i in range(len(lines)))
        face = font(font_size, bold=bold)
        right = left + max(face.getbbox(line, anchor="ls")[2] for line in lines)
        box = (left, y, right, y + pitch * len(lines))
        bullet = None
        if not bold:
            dot, middle = m["bullet"], baselines[0] - round(font_size * 0.33)
            bullet = (panel[0] + m["pad"], middle - dot // 2, panel[0] + m["pad"] + dot, middle - dot // 2 + dot)
        placed.append(Block(tuple(lines), font_size, bold, box, baselines, bullet))
        y += pitch * len(lines)
    return Layout(size, safe, panel, round(width * 0.03), tuple(placed))


def wrap(text, face, width):
    """Greedy word wrap of `text` into lines at most `width` px wide in `face`; a word wider than a line is
    broken with a hyphen (at a syllable-like point when there is one), so no line is ever wider."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if face.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while face.getlength(word) > width:
            head, word = _hyphenate(word, face, width)
            lines.append(head)
        line = word
    if line:
        lines.append(line)
    return lines


def _hyphenate(word, face, width):
    """(head ending in "-", rest) with the longest head that fits; Russian-like breaks preferred."""
    low, high = 0, len(word) - 1  # the longest fitting head, by bisection: a longer head is never narrower
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if face.getlength(_head(word, middle)) <= width else (low, middle - 1)
    if not low:  # a line narrower than one letter: never happens at our sizes, but never loop either
        return word[:1], word[1:]
    cut = next((i for i in range(low, 0, -1) if _good_break(word, i)), low)
    return _head(word, cut), word[cut:]


def _head(word, cut):
    return word[:cut] if word[cut - 1] == "-" else word[:cut] + "-"


def _good_break(word, cut):
    head, rest = word[:cut].lower(), word[cut:].lower()
    if head.endswith("-"):
        return True
    if len(head) < 2 or len(rest) < 2 or not (head[-1].isalpha() and rest[0].isalpha()):
        return False
    if rest[0] in _NEVER_STARTS_A_LINE or not (_VOWELS & set(head)) or not (_VOWELS & set(rest)):
        return False
    if rest[1] in "ьъ":  # a soft or hard sign stays with the syllable it closes: "сталь-ной", not "ста-льной"
        return False
    # Not between a consonant and the vowel it opens a syllable with ("корп-ус").
    return not (head[-1] not in _VOWELS and rest[0] in _VOWELS)


def _cut(lines, count, face, width):
    kept = lines[:count]
    last = kept[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    return kept[:-1] + [last + "…"]
