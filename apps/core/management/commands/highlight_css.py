from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core.highlight import stylesheet

# The Tailwind source imports it, so highlighted code costs no extra request.
TARGET = Path(settings.BASE_DIR) / "apps/theme/static_src/src/highlight.css"


class Command(BaseCommand):
    help = "Write the code-highlighting colours (light and dark) for the Tailwind build."

    def handle(self, *args: Any, **options: Any) -> None:
        TARGET.write_text(stylesheet(), encoding="utf-8")
        self.stdout.write(f"Wrote {TARGET.relative_to(settings.BASE_DIR)}")
