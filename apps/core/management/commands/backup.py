"""`manage.py backup`: the database and the media files in one verified tar (apps.core.backups)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.backups import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump, or SQLite's online backup) and MEDIA_ROOT into one tar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="The .tar to write (default: <output dir>/inkwell-<UTC time>.tar).",
        )
        parser.add_argument(
            "--output-dir",
            type=Path,
            help="Where inkwell-<UTC time>.tar goes without --output (default: BACKUP_DIR).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="Afterwards delete all but the newest N inkwell-*.tar there (0: keep all).",
        )
        parser.add_argument("--no-media", action="store_true", help="Leave MEDIA_ROOT out.")
        parser.add_argument("--database", default="default", help="Database alias (default).")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path | None = options["output"]
        if options["keep"] < 0:
            raise CommandError("--keep takes a number of backups, 0 or more.")
        if output is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            directory = options["output_dir"] or Path(settings.BACKUP_DIR)
            output = directory / f"inkwell-{stamp}.tar"
        try:
            manifest = create_backup(
                output, alias=options["database"], media=not options["no_media"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for name, described in manifest["files"].items():
            self.stdout.write(f"  {name}: {described['size']} bytes, sha256 {described['sha256']}")
        self.stdout.write(self.style.SUCCESS(f"Backup written: {output}"))
        if options["keep"]:
            # The names sort by time; only complete backups carry the name (.partial until then).
            for old in sorted(output.parent.glob("inkwell-*.tar"))[: -options["keep"]]:
                old.unlink()
                self.stdout.write(f"Deleted the older backup {old}")
