"""Every text the code marks for translation has its Russian translation, with the same placeholders."""

import ast
import re
from pathlib import Path

import polib
from django.utils import translation as django_translation

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "billing", "botapp", "generations", "messaging", "miniapp", "neurocards", "ops")
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _marked():
    """(msgid, msgid_plural or None, where) of every literal passed to gettext in the apps."""
    for path in sorted(p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name, args = node.func.id, node.args
            literal = [isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name in SINGULAR and literal[:1] == [True]:
                yield args[0].value, None, where
            elif name in PLURAL and literal[:2] == [True, True]:
                yield args[0].value, args[1].value, where


def _catalog():
    catalog = polib.pofile(str(ROOT / "locale/ru/LC_MESSAGES/django.po"))
    forms = int(re.search(r"nplurals=(\d+)", catalog.metadata["Plural-Forms"]).group(1))
    return {entry.msgid: entry for entry in catalog}, forms


def test_it_finds_the_marked_texts():
    marked = list(_marked())
    assert len(marked) > 100
    assert any(msgid == "What shall we make?" for msgid, _, _ in marked)


def test_it_has_a_russian_translation_of_every_marked_text():
    catalog, forms = _catalog()
    problems = []
    for msgid, plural, where in _marked():
        entry = catalog.get(msgid)
        if entry is None or entry.obsolete:
            problems.append(f"{where}: no translation of {msgid!r}")
            continue
        translations = list(entry.msgstr_plural.values()) if plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(t.strip() for t in translations):
            problems.append(f"{where}: untranslated or fuzzy {msgid!r}")
        if plural and len(translations) != forms:
            problems.append(f"{where}: the catalog's {forms} plural forms are not all there for {msgid!r}")
        wanted = set(PLACEHOLDER.findall(msgid)) | set(PLACEHOLDER.findall(plural or ""))
        for translation in translations:
            # A Russian plural form may leave the number out ("одна карточка"), never add a placeholder.
            extra = set(PLACEHOLDER.findall(translation)) - wanted
            missing = wanted - set(PLACEHOLDER.findall(translation)) - ({"n"} if plural else set())
            if extra or missing:
                problems.append(f"{where}: placeholders differ in {translation!r}")
    assert not problems, "\n".join(problems)


# {% translate "…" [context "…"] %} and {% blocktranslate [with …|count …] %}…[{% plural %}…]{% endblocktranslate %}
TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.*?)\1(?:\s+context\s+(["'])(.*?)\3)?[^%]*%}""")
BLOCK = re.compile(r"{%\s*blocktrans(?:late)?\b(.*?)%}(.*?){%\s*endblocktrans(?:late)?\s*%}", re.S)
PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")
CONTEXT = re.compile(r"""\bcontext\s+(["'])(.*?)\1""")
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")


def _in_templates():
    """(msgid, msgid_plural or None, context or None, where) of every literal the templates translate."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        where = path.relative_to(ROOT)
        for match in TRANSLATE.finditer(text):
            yield match.group(2), None, match.group(4), where
        for match in BLOCK.finditer(text):
            options, body = match.groups()
            if "trimmed" in options:
                body = " ".join(body.split())
            singular, plural = (PLURAL_TAG.split(body, maxsplit=1) + [None])[:2]
            context = CONTEXT.search(options)
            yield (
                VARIABLE.sub(r"%(\1)s", singular),
                VARIABLE.sub(r"%(\1)s", plural) if plural is not None else None,
                context.group(2) if context else None,
                where,
            )


def _translated(msgid, plural, context):
    if plural is None:
        return [django_translation.pgettext(context, msgid) if context else django_translation.gettext(msgid)]
    if context:
        return [django_translation.npgettext(context, msgid, plural, n) for n in (1, 2, 5)]
    return [django_translation.ngettext(msgid, plural, n) for n in (1, 2, 5)]


def test_it_finds_the_texts_of_the_templates():
    found = {msgid for msgid, _, _, _ in _in_templates()}
    assert {"Queued", "Revenue, %(method)s", "%(ago)s ago", "none", "Thank you!"} <= found


def test_it_has_a_russian_translation_of_every_text_in_the_templates():
    # Through Django's own lookup: our catalog first, then Django's (the admin's "Home").
    problems = []
    with django_translation.override("ru"):
        for msgid, plural, context, where in _in_templates():
            wanted = set(PLACEHOLDER.findall(msgid)) | set(PLACEHOLDER.findall(plural or ""))
            for translated in _translated(msgid, plural, context):
                if not re.search("[А-Яа-яЁё]", translated):
                    problems.append(f"{where}: no Russian for {msgid!r}")
                if set(PLACEHOLDER.findall(translated)) - wanted:
                    problems.append(f"{where}: placeholders differ in {translated!r}")
    assert not problems, "\n".join(problems)
