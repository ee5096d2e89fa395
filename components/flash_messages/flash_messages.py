from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.messages.storage.base import Message
from django_components import Component, register

TONES = {
    "success": "border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100",
    "error": "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100",
    "warning": "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100",
    "info": "border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100",
}


@register("flash_messages")
class FlashMessages(Component):
    """Django messages as dismissible banners; announced to screen readers."""

    template_file = "flash_messages.html"

    class Kwargs(NamedTuple):
        messages: Iterable[Message]

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        items = [
            {"text": str(m), "tone": TONES.get(m.level_tag, TONES["info"]), "level": m.level_tag}
            for m in kwargs.messages
        ]
        return {"items": items}
