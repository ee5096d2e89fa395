"""`manage.py export_wxr OUT.xml`: the site as a WordPress (WXR 1.2) file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.transfer.wxr_export import start_wxr_export


class Command(BaseCommand):
    help = "Write posts, taxonomy, authors and comments as a WordPress eXtended RSS 1.2 file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="Where to write the .xml file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        if path.exists():
            raise CommandError(f"{path} exists; choose a new file name.")
        partial = path.with_name(path.name + ".partial")
        size = 0
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as file:
                for chunk in start_wxr_export(actor=None):
                    file.write(chunk)
                    size += len(chunk)
            partial.rename(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.stdout.write(f"Wrote {path} ({size} bytes). Import it in WordPress: Tools → Import.")
