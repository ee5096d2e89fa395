"""What `import_wxr` and `import_ghost` share: who imports, and running in this process."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.models import User
from apps.transfer import services
from apps.transfer.models import ImportRun


class ImportCommand(BaseCommand):
    source: str = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="The export file.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
        parser.add_argument(
            "--author-email",
            help="The account that gets posts whose author is not in the file.",
        )
        parser.add_argument(
            "--as",
            dest="actor",
            help="The admin account the import runs as (default: the first superuser).",
        )
        parser.add_argument("--resume", type=int, metavar="RUN", help="Resume run RUN.")
        parser.add_argument("--rollback", type=int, metavar="RUN", help="Roll back run RUN.")

    def _user(self, email: str) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with the address {email}.")
        return user

    def _actor(self, options: dict[str, Any]) -> User:
        if options["actor"]:
            return self._user(options["actor"])
        user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("No superuser to run the import as; pass --as EMAIL.")
        return user

    def more_files(self, options: dict[str, Any]) -> dict[str, str]:
        """Further files the import takes, by start_import's argument name."""
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options)
        if options["rollback"]:
            run = ImportRun.objects.get(pk=options["rollback"])
            run = services.rollback_import(actor=actor, run=run)
            self.stdout.write(json.dumps(run.report.get("rollback"), indent=2))
            return
        if options["resume"]:
            run = ImportRun.objects.get(pk=options["resume"])
            try:
                services.resume_import(actor=actor, run=run, enqueue=False)
            except Exception as error:
                raise CommandError(str(error)) from error
        else:
            if not options["file"]:
                raise CommandError("Name the file to import.")
            fallback = self._user(options["author_email"]) if options["author_email"] else None
            try:
                with contextlib.ExitStack() as stack:
                    file = stack.enter_context(Path(options["file"]).open("rb"))
                    more = {
                        name: stack.enter_context(Path(path).open("rb"))
                        for name, path in self.more_files(options).items()
                    }
                    run = services.start_import(
                        actor=actor,
                        source=self.source,
                        file=file,
                        file_name=options["file"],
                        dry_run=options["dry_run"],
                        fallback_author=fallback,
                        in_place=True,
                        enqueue=False,
                        **more,
                    )
            except OSError as error:
                raise CommandError(f"Cannot read {options['file']}: {error}") from error
            except Exception as error:
                if type(error).__name__ == "ValidationError":
                    raise CommandError(
                        " ".join(getattr(error, "messages", [str(error)]))
                    ) from error
                raise
        run = services.run_import(run.pk)
        self.stdout.write(services.report_json(run))
        self.stdout.write(f"Run {run.pk}: {run.get_status_display()}.")
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(
                f"The import failed. Resume it with --resume {run.pk} or undo it with "
                f"--rollback {run.pk}."
            )
