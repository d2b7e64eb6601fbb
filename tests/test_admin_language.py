"""The admin speaks Russian under LANGUAGE_CODE=ru: every model, field, choice, column and action of our apps
that the admin shows has a Russian name (Django's own words come translated with Django)."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation

OUR_APPS = ["accounts", "billing", "generations", "botapp", "neurocards", "ops"]
CYRILLIC = re.compile("[А-Яа-яЁё]")
# Names Russian staff read as they are.
SAME_IN_RUSSIAN = {"ID", "Telegram ID", "URL", "UUID", "Email", "JSON"}


def _russian(text):
    text = str(text).strip()
    return bool(CYRILLIC.search(text)) or text in SAME_IN_RUSSIAN


def _registered(app_label):
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == app_label
    ]


def _english_names(app_label):
    """Every name of this app's admin that is not Russian, as "where: text"."""
    found = []
    with translation.override("ru"):
        config = apps.get_app_config(app_label)
        if _registered(app_label) and not _russian(config.verbose_name):
            found.append(f"app: {config.verbose_name}")
        for model, model_admin in _registered(app_label):
            opts, name = model._meta, model.__name__
            for text in (opts.verbose_name, opts.verbose_name_plural):
                if not _russian(text):
                    found.append(f"{name}: {text}")
            for field in opts.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # reverse relations are named by the other side
                if getattr(field, "primary_key", False) and field.auto_created:
                    continue  # Django's own "ID"
                if not _russian(field.verbose_name):
                    found.append(f"{name}.{field.name}: {field.verbose_name}")
                if field.help_text and not _russian(field.help_text):
                    found.append(f"{name}.{field.name} help: {field.help_text}")
                for _value, label in field.flatchoices or ():
                    if not _russian(label):
                        found.append(f"{name}.{field.name} choice: {label}")
            for column in model_admin.list_display:
                method = getattr(model_admin, column, None) if isinstance(column, str) else column
                described = getattr(method, "short_description", None)
                if described is not None and not _russian(described):
                    found.append(f"{name} column {column}: {described}")
            for action_name, (_func, _, description) in _actions(model_admin).items():
                if not _russian(description):
                    found.append(f"{name} action {action_name}: {description}")
            for inline in model_admin.inlines:
                for text in (inline.verbose_name, inline.verbose_name_plural):
                    if text and not _russian(text):
                        found.append(f"{name} inline {inline.__name__}: {text}")
    return found


def _actions(model_admin):
    # Every action the class defines, whoever may run it (permissions are tested elsewhere).
    actions = {}
    for action in model_admin.actions or ():
        func = getattr(model_admin, action) if isinstance(action, str) else action
        name = getattr(func, "__name__", str(action))
        actions[name] = (func, name, getattr(func, "short_description", name))
    return actions


@pytest.mark.parametrize("app_label", OUR_APPS)
def test_it_names_everything_of_the_app_in_russian(app_label):
    assert _english_names(app_label) == []


def test_it_finds_an_english_name():
    with translation.override("ru"):
        assert not _russian("created at")
        assert _russian("создан")
