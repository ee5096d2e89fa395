"""The interface's translations ship complete: every catalog, every message, every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
CATALOGS = sorted(
    [
        *ROOT.glob("locale/*/LC_MESSAGES/django.po"),
        *ROOT.glob("locale/*/LC_MESSAGES/djangojs.po"),
        *ROOT.glob("apps/*/locale/*/LC_MESSAGES/django.po"),
    ]
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
SHIPPED = {"de", "ar"}


def _texts(value: object) -> list[str]:
    """A message's id or translation as a list of texts (one, or one per plural form)."""
    values = value if isinstance(value, tuple | list) else [value]
    return [str(text or "") for text in values]


def test_every_shipped_language_has_a_catalog_for_every_app_with_one():
    folders = {path.parents[2] for path in CATALOGS}
    for folder in folders:
        languages = {path.parents[1].name for path in folder.glob("*/LC_MESSAGES/django.po")}
        assert languages >= SHIPPED, folder


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_catalog_is_complete_and_keeps_every_placeholder(path):
    with path.open("rb") as handle:
        catalog = read_po(handle)
    assert catalog.locale is not None
    assert str(catalog.locale) == path.parents[1].name
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = _texts(message.id)
        strings = _texts(message.string)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        # A plural form for exactly one (Arabic's "one", "two") may spell the number out.
        problems += [
            f"placeholders differ: {ids[0]!r} -> {string!r}"
            for string in strings
            if set(PLACEHOLDER.findall(string)) - wanted
            or (len(strings) == 1 and set(PLACEHOLDER.findall(string)) != wanted)
        ]
    assert problems == []


@pytest.mark.parametrize(("language", "expected"), [("de", "Suche"), ("ar", "بحث")])
def test_the_compiled_catalogs_are_used(language, expected):
    with translation.override(language):
        assert translation.gettext("Search") == expected
