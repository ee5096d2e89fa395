"""Field errors in the request's language.

Pydantic words its validation errors in English. Each error also carries a `type` and its
`ctx` (the limits), so the common types are worded here through gettext, with the same
figures; a type not listed keeps pydantic's English text. A `value_error` carries our own
validator's message, already translated when raised.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

_FIXED = {
    "missing": _("This field is required."),
    "extra_forbidden": _("This field is not expected here."),
    "string_type": _("Give a text."),
    "int_type": _("Give a whole number."),
    "int_parsing": _("Give a whole number."),
    "int_from_float": _("Give a whole number."),
    "float_type": _("Give a number."),
    "float_parsing": _("Give a number."),
    "bool_type": _("Give true or false."),
    "bool_parsing": _("Give true or false."),
    "list_type": _("Give a list."),
    "dict_type": _("Give an object."),
    "model_type": _("Give an object."),
    "model_attributes_type": _("Give an object."),
    "date_type": _("Give a date (YYYY-MM-DD)."),
    "date_parsing": _("Give a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": _("Give a date (YYYY-MM-DD)."),
    "datetime_type": _("Give a date and time (ISO 8601)."),
    "datetime_parsing": _("Give a date and time (ISO 8601)."),
    "datetime_from_date_parsing": _("Give a date and time (ISO 8601)."),
    "uuid_type": _("Give a UUID."),
    "uuid_parsing": _("Give a UUID."),
    "url_type": _("Give a web address."),
    "url_parsing": _("Give a web address."),
    "url_scheme": _("Give a web address."),
    "string_pattern_mismatch": _("This value does not have the expected form."),
    "json_invalid": _("This is not valid JSON."),
    "none_required": _("Leave this field empty."),
}
_EXPECTED = {
    "literal_error": _("Give one of: %(expected)s."),
    "enum": _("Give one of: %(expected)s."),
}
# Wording that follows a count (plural forms differ by language): the ctx key of the count.
_COUNTS = {
    "string_too_short": ("min_length", ngettext_lazy(
        "Give at least %(count)d character.", "Give at least %(count)d characters.", "count")),
    "string_too_long": ("max_length", ngettext_lazy(
        "Give at most %(count)d character.", "Give at most %(count)d characters.", "count")),
    "too_short": ("min_length", ngettext_lazy(
        "Give at least %(count)d item.", "Give at least %(count)d items.", "count")),
    "too_long": ("max_length", ngettext_lazy(
        "Give at most %(count)d item.", "Give at most %(count)d items.", "count")),
}  # fmt: skip
_LIMITS = {
    "greater_than": ("gt", _("Give a number greater than %(limit)s.")),
    "greater_than_equal": ("ge", _("Give a number of at least %(limit)s.")),
    "less_than": ("lt", _("Give a number less than %(limit)s.")),
    "less_than_equal": ("le", _("Give a number of at most %(limit)s.")),
}


def field_message(error: dict[str, Any]) -> str:
    """One pydantic error (type, msg, ctx) worded in the active language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _FIXED:
        return str(_FIXED[kind])
    if kind in _EXPECTED and "expected" in ctx:
        return str(_EXPECTED[kind]) % {"expected": ctx["expected"]}
    if kind in _LIMITS and _LIMITS[kind][0] in ctx:
        key, text = _LIMITS[kind]
        return str(text) % {"limit": ctx[key]}
    if kind in _COUNTS and _COUNTS[kind][0] in ctx:
        key, counted = _COUNTS[kind]
        return str(counted % {"count": int(ctx[key])})
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg", ""))
