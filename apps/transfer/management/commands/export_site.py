"""`manage.py export_site OUT.zip [--with-passwords]`: the full-site export, written to a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.transfer.exporting import ExportProgress, start_site_export


class Command(BaseCommand):
    help = "Write the whole site (rows and media) to a zip that imports into an empty Inkwell."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="Where to write the zip ('-' for standard output).")
        parser.add_argument(
            "--with-passwords",
            action="store_true",
            help="A migration bundle: include password hashes (keep the file secret).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: str = options["output"]
        with_passwords: bool = options["with_passwords"]
        progress = ExportProgress(with_passwords=with_passwords)
        if output == "-":
            for chunk in start_site_export(actor=None, with_passwords=with_passwords):
                self.stdout.buffer.write(chunk)  # type: ignore[attr-defined]
            return
        path = Path(output)
        if path.exists():
            raise CommandError(f"{path} exists; choose a new file name.")
        partial = path.with_name(path.name + ".partial")
        try:
            # 0600: a migration bundle holds password hashes, an export everyone's addresses.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as file:
                for chunk in start_site_export(
                    actor=None, with_passwords=with_passwords, progress=progress
                ):
                    file.write(chunk)
            partial.rename(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        rows = sum(int(m["count"]) for m in progress.models)
        self.stdout.write(
            f"Wrote {path}: {rows} rows in {len(progress.models)} models, "
            f"{progress.media_count} media files ({progress.media_bytes} bytes)"
            + (" — includes password hashes." if with_passwords else ".")
        )
        if progress.missing_media:
            self.stderr.write(
                f"{len(progress.missing_media)} media files named by rows were not found in "
                f"storage, e.g. {progress.missing_media[0]}"
            )
