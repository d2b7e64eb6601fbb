"""Every text the code marks for translation has its Russian translation, with the same placeholders."""

import ast
import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "billing", "botapp", "generations", "messaging", "neurocards", "ops")
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
