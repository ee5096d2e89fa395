"""Held reasons are stored in English and shown in the active language."""

import pytest
from django.utils import translation

from apps.comments import reasons


@pytest.mark.parametrize(
    ("stored", "arabic"),
    [
        (reasons.ALL_HELD, "كل التعليقات محتجزة"),
        (reasons.too_many_links(1), "رابط واحد"),
        (reasons.too_many_links(4), "4 روابط"),
        (reasons.blocked_word("casino"), "كلمة محظورة: casino"),
        ("a reason an older version wrote", "a reason an older version wrote"),
    ],
)
def test_stored_reasons_are_shown_translated(stored, arabic):
    with translation.override("en"):
        shown_in_english = reasons.shown(stored)
    with translation.override("ar"):
        assert reasons.shown(stored) == arabic
    if stored.endswith(" links"):
        count = int(stored.split()[0])
        assert shown_in_english == (f"{count} link" if count == 1 else f"{count} links")
    else:
        assert shown_in_english == stored
