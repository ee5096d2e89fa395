"""`manage.py export_bench`: time an export of this database and measure its memory.

For benchmarks only (docs/operations.md): fill a throwaway database with
`manage.py seed_bench_posts --posts 100000`, then run this. The export is written to a
sink that only hashes it, so the figures are the export's own: rows, bytes, seconds,
Python's peak traced allocation (tracemalloc, optional: it slows the run down) and the
process's peak RSS.
"""

from __future__ import annotations

import hashlib
import resource
import time
import tracemalloc
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.transfer.exporting import ExportProgress, stream_site_export
from apps.transfer.wxr_export import stream_wxr


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Command(BaseCommand):
    help = "Export this site to nowhere and print the time and peak memory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["site", "wxr"], default="site")
        parser.add_argument(
            "--tracemalloc", action="store_true", help="Also trace Python allocations."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ExportProgress(with_passwords=False)
        stream: Iterable[bytes] = (
            stream_site_export(progress=progress) if options["format"] == "site" else stream_wxr()
        )
        if options["tracemalloc"]:
            tracemalloc.start()
        rss_before = _rss_mb()
        started = time.perf_counter()
        digest = hashlib.sha256()
        size = 0
        for chunk in stream:
            digest.update(chunk)
            size += len(chunk)
        seconds = time.perf_counter() - started
        traced = ""
        if options["tracemalloc"]:
            traced = f", traced peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB"
            tracemalloc.stop()
        rows = sum(int(m["count"]) for m in progress.models)
        self.stdout.write(
            f"{options['format']} export: {rows or 'n/a'} rows, {size / 2**20:.1f} MiB in "
            f"{seconds:.1f} s; peak RSS {_rss_mb():.0f} MiB (before: {rss_before:.0f} MiB)"
            f"{traced}"
        )
