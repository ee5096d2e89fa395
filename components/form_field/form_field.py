from __future__ import annotations

from typing import Any, NamedTuple

from django.forms import BoundField
from django_components import Component, register


@register("form_field")
class FormField(Component):
    """A labelled form field with help text and errors tied to it for screen readers."""

    template_file = "form_field.html"

    class Kwargs(NamedTuple):
        field: BoundField

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        field = kwargs.field
        described_by = []
        if field.help_text:
            described_by.append(f"{field.auto_id}_help")
        if field.errors:
            described_by.append(f"{field.auto_id}_errors")
        attrs: dict[str, Any] = {
            "class": (
                "block w-full rounded-lg border-0 px-3 py-2 text-slate-900 ring-1 ring-inset "
                "placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-ink-500 "
                "dark:bg-slate-800 dark:text-slate-100 "
                + ("ring-red-500" if field.errors else "ring-slate-300 dark:ring-slate-700")
            )
        }
        if described_by:
            attrs["aria-describedby"] = " ".join(described_by)
        if field.errors:
            attrs["aria-invalid"] = "true"
        return {"field": field, "widget": field.as_widget(attrs=attrs)}
