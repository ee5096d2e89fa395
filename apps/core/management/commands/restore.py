"""`manage.py restore`: a backup from `manage.py backup` into an empty database, or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.backups import BackupError, restore_backup, verify_backup


class Command(BaseCommand):
    help = (
        "Restore a backup into the configured (empty) database and MEDIA_ROOT. A truncated or "
        "altered file, or one from another schema version, is refused before anything changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The .tar that `manage.py backup` wrote.")
        parser.add_argument("--no-media", action="store_true", help="Restore the database only.")
        parser.add_argument("--database", default="default", help="Database alias (default).")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only verify the file (checksums, schema version); restore nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            if options["check"]:
                manifest = verify_backup(path)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{path} is intact: Inkwell {manifest['version']}, "
                        f"made {manifest['created_at']}."
                    )
                )
                return
            restored = restore_backup(
                path, alias=options["database"], media=not options["no_media"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = restored.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {path} (Inkwell {manifest['version']}, made {manifest['created_at']})."
            )
        )
        if restored.media_moved_aside is not None:
            self.stdout.write(f"The previous media files are in {restored.media_moved_aside}.")
