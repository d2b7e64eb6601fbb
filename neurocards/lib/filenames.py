"""File names made from what a person typed: ASCII only, because marketplaces' upload forms and phones'
file managers mangle or refuse anything else. Cyrillic is transliterated as Russian passports and
Yandex do it (щ → shch, ж → zh), the rest of Unicode folded to its ASCII letters or dropped."""

import re
import unicodedata

CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya i yi ye g u".split(),
        strict=True,
    )
)
MAX_STEM = 40


def slug(text, *, max_length=MAX_STEM):
    """ "Термокружка 350 мл!" → "termokruzhka-350-ml": lowercase ASCII words joined by hyphens, at most
    `max_length` characters, cut between words where it can be. "" when nothing is left."""
    letters = "".join(_ascii(char) for char in str(text).lower())
    words = re.findall(r"[a-z0-9]+", letters)
    stem = ""
    for word in words:
        longer = f"{stem}-{word}" if stem else word
        if len(longer) > max_length:
            return stem or word[:max_length]
        stem = longer
    return stem


def _ascii(char):
    if char in CYRILLIC:
        # ъ and ь are no sound of their own: they vanish, without splitting the word.
        return "" if CYRILLIC[char] == "-" else CYRILLIC[char]
    return unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or " "
