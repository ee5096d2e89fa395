"""`manage.py import_site FILE.zip`: load a site export into this empty Inkwell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.transfer.portable import ImportRefusedError, check_site_export, import_site_export


class Command(BaseCommand):
    help = "Restore a site export (from export_site or the dashboard) into an empty site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export's .zip")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only verify the file (manifest, sizes, checksums); write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["check"]:
                manifest = check_site_export(options["file"])
                rows = sum(int(m.get("count", 0)) for m in manifest["models"])
                self.stdout.write(
                    f"OK: {rows} rows, {len(manifest['members'])} members, "
                    f"made by Inkwell {manifest.get('inkwell_version')} at "
                    f"{manifest.get('created_at')}."
                )
                return
            report = import_site_export(options["file"])
        except ImportRefusedError as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        self.stdout.write(
            f"Imported {report.total_rows} rows and {report.media_files} media files."
        )
        if not report.manifest.get("includes_password_hashes"):
            self.stdout.write(
                "Passwords were not part of this export: people set a new one with "
                "“Forgot your password?”, and admins with `manage.py changepassword`."
            )
