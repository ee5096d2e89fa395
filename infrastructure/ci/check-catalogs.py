"""Fail when the translation catalogs miss a message the code uses, or keep one it dropped.

Runs `make messages-update` (Django's makemessages, which needs GNU gettext) over the
catalogs, compares the messages each one holds before and after, and puts every catalog
back as it was. tests/core/test_catalogs.py then proves each message is translated: this
proves every message is there to be translated.

Without GNU gettext it says so and passes, except under CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = (
    "locale/*/LC_MESSAGES/django.po",
    "locale/*/LC_MESSAGES/djangojs.po",
    "apps/*/locale/*/LC_MESSAGES/django.po",
)


def say(*lines: str | Iterable[str]) -> None:
    for line in lines:
        sys.stdout.write((line if isinstance(line, str) else "\n".join(line)) + "\n")


def catalogs() -> list[Path]:
    return sorted(path for pattern in PATTERNS for path in ROOT.glob(pattern))


def messages(path: Path) -> set[tuple[str | None, str]]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    ids = set()
    for message in catalog:
        if not message.id:
            continue
        first = message.id[0] if isinstance(message.id, tuple | list) else message.id
        ids.add((message.context, str(first)))
    return ids


def main() -> int:
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            say("check-catalogs: GNU gettext is missing (apt-get install gettext)")
            return 1
        say("check-catalogs: skipped, no GNU gettext here (apt-get install gettext)")
        return 0
    paths = catalogs()
    before = {path: messages(path) for path in paths}
    with tempfile.TemporaryDirectory() as saved:
        copies = {path: Path(saved) / str(index) for index, path in enumerate(paths)}
        for path, copy in copies.items():
            shutil.copy2(path, copy)
        try:
            run = subprocess.run(  # noqa: S603  (a fixed command)
                [shutil.which("make") or "make", "--no-print-directory", "messages-update"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if run.returncode != 0:
                say(run.stdout, run.stderr)
                return run.returncode
            after = {path: messages(path) for path in paths}
        finally:
            for path, copy in copies.items():
                shutil.copy2(copy, path)
    problems = []
    for path in paths:
        name = path.relative_to(ROOT)
        for context, text in sorted(after[path] - before[path], key=str):
            problems.append(
                f"{name}: missing {text!r}" + (f" (context {context})" if context else "")
            )
        for _context, text in sorted(before[path] - after[path], key=str):
            problems.append(f"{name}: no longer used {text!r}")
    if problems:
        say(
            "The catalogs are out of date; run `make messages-update`, translate, commit:", problems
        )
        return 1
    say(f"check-catalogs: {len(paths)} catalogs hold every message the code uses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
