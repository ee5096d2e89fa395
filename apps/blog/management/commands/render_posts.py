"""`manage.py render_posts`: render every post's stored HTML again from its Markdown.

Run it after an upgrade that changes how Markdown renders (code highlighting and image
captions came this way): stored bodies otherwise keep their old HTML until next edited.
Safe to run repeatedly; posts whose HTML would not change are left alone.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.blog.services import render_stored_bodies


class Command(BaseCommand):
    help = "Render every post's HTML again from its Markdown (after a renderer change)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = render_stored_bodies()
        self.stdout.write(f"Rendered again: {changed} post(s) changed.")
