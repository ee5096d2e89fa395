from __future__ import annotations

from typing import Any, NamedTuple

from django_components import Component, register

VARIANTS = {
    "primary": "bg-ink-600 text-white hover:bg-ink-700 shadow-sm dark:bg-ink-500 dark:hover:bg-ink-600",
    "secondary": "bg-white text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 "
    "dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-600 dark:hover:bg-slate-700",
    "ghost": "text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800",
    "danger": "bg-red-600 text-white hover:bg-red-700 shadow-sm",
}
BASE = (
    "inline-flex items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-semibold "
    "transition-colors disabled:cursor-not-allowed disabled:opacity-50"
)


@register("button")
class Button(Component):
    """A button, or a link styled as one when `href` is given."""

    template_file = "button.html"

    class Kwargs(NamedTuple):
        variant: str = "primary"
        href: str | None = None
        type: str = "button"
        name: str | None = None
        value: str | None = None
        disabled: bool = False
        extra_class: str = ""

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        if kwargs.variant not in VARIANTS:
            raise ValueError(f"Unknown button variant {kwargs.variant!r}")
        return {
            "classes": f"{BASE} {VARIANTS[kwargs.variant]} {kwargs.extra_class}".strip(),
            "href": kwargs.href,
            "type": kwargs.type,
            "name": kwargs.name,
            "value": kwargs.value,
            "disabled": kwargs.disabled,
        }
