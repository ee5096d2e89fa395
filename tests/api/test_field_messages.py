"""Pydantic's errors worded through gettext by type, with their limits kept."""

import pytest
from django.utils import translation

from apps.api.field_messages import field_message


@pytest.mark.parametrize(
    ("error", "english", "german"),
    [
        ({"type": "missing", "msg": "Field required"}, "This field is required.",
         "Dieses Feld ist erforderlich."),
        ({"type": "string_too_long", "ctx": {"max_length": 1}}, "Give at most 1 character.",
         "Geben Sie höchstens 1 Zeichen ein."),
        ({"type": "too_short", "ctx": {"min_length": 2}}, "Give at least 2 items.",
         "Geben Sie mindestens 2 Einträge an."),
        ({"type": "less_than_equal", "ctx": {"le": 100}}, "Give a number of at most 100.",
         "Geben Sie eine Zahl von höchstens 100 ein."),
        ({"type": "literal_error", "ctx": {"expected": "'hour' or 'day'"}},
         "Give one of: 'hour' or 'day'.", "Geben Sie eines davon ein: 'hour' or 'day'."),
        # Our own validator's message arrives translated already; an unknown type keeps
        # pydantic's text.
        ({"type": "value_error", "ctx": {"error": "Schon übersetzt."}, "msg": "Value error, x"},
         "Schon übersetzt.", "Schon übersetzt."),
        ({"type": "frozen_field", "msg": "Field is frozen"}, "Field is frozen",
         "Field is frozen"),
    ],
)  # fmt: skip
def test_field_messages_follow_the_language(error, english, german):
    with translation.override("en"):
        assert field_message(error) == english
    with translation.override("de"):
        assert field_message(error) == german


def test_arabic_counts_use_their_plural_forms():
    with translation.override("ar"):
        assert field_message({"type": "string_too_short", "ctx": {"min_length": 2}}) == (
            "أدخل 2 حرفين على الأقل."
        )
        assert field_message({"type": "string_too_short", "ctx": {"min_length": 5}}) == (
            "أدخل 5 أحرف على الأقل."
        )
