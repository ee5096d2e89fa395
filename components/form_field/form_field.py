from __future__ import annotations

from typing import Any, NamedTuple

from django.forms import BoundField, RadioSelect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_components import Component, register

INPUT_CLASSES = (
    "block w-full rounded-lg border-0 px-3 py-2 text-slate-900 ring-1 ring-inset "
    "placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-ink-500 "
    "dark:bg-slate-800 dark:text-slate-100 "
)


@register("form_field")
class FormField(Component):
    """A labelled form field with help text and errors tied to it for screen readers.

    A widget that brings its own `class` keeps it. `counter=N` shows "used/N" characters
    beside the help text (static/js/editor.js keeps it current). Checkbox and radio lists
    render as a fieldset of options; `filterable=True` adds a filter box that the page's
    script reveals, and `empty` is said when there is nothing to choose.
    """

    template_file = "form_field.html"

    class Kwargs(NamedTuple):
        field: BoundField
        counter: int | None = None
        filterable: bool = False
        empty: str = ""

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        field = kwargs.field
        data: dict[str, Any] = {
            "field": field,
            "counter": kwargs.counter,
            "has_help": bool(field.help_text or kwargs.counter),
        }
        if isinstance(field.field.widget, RadioSelect):  # checkbox lists too
            # English says "Filter tags"; languages with capitalised nouns keep the label's case.
            label = str(field.label)
            if (get_language() or "en").split("-")[0] == "en":
                label = label.lower()
            return data | {
                "choices": True,
                "filterable": kwargs.filterable,
                "empty": kwargs.empty,
                "filter_placeholder": _("Filter %(label)s…") % {"label": label},
                "filter_label": _("Filter %(label)s") % {"label": label},
            }
        described_by = []
        if data["has_help"]:
            described_by.append(f"{field.auto_id}_help")
        if field.errors:
            described_by.append(f"{field.auto_id}_errors")
        attrs: dict[str, Any] = {}
        if not field.field.widget.attrs.get("class"):
            ring = "ring-red-500" if field.errors else "ring-slate-300 dark:ring-slate-700"
            attrs["class"] = INPUT_CLASSES + ring
        if described_by:
            attrs["aria-describedby"] = " ".join(described_by)
        if field.errors:
            attrs["aria-invalid"] = "true"
        return data | {"widget": field.as_widget(attrs=attrs)}
