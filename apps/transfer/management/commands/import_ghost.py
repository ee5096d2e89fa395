"""`manage.py import_ghost FILE [--members CSV] [--dry-run]`: import a Ghost site."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from apps.transfer.management.commands._importing import ImportCommand
from apps.transfer.models import ImportRun


class Command(ImportCommand):
    help = "Import a Ghost JSON export (posts, pages, tags, authors, comments) and members CSV."
    source = ImportRun.Source.GHOST

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--members", help="Ghost's members CSV: opted-in members subscribe.")

    def more_files(self, options: dict[str, Any]) -> dict[str, str]:
        return {"members": options["members"]} if options["members"] else {}
