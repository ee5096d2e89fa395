"""`manage.py transfer_bench --posts 50000 --comments 200000`: time a large WXR import.

Writes a WordPress export of that size piece by piece (apps.transfer.samples), imports it
through the same code as the dashboard (in this process, not the worker), and prints the
elapsed time, the peak resident memory (getrusage) and the queries of the largest batch.
Run it against PostgreSQL; `--rollback` removes what it imported afterwards.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from apps.accounts.models import User
from apps.transfer import services
from apps.transfer.samples import WxrComment, WxrItem, write_footer, write_header, write_item


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Command(BaseCommand):
    help = "Generate a WXR file of the given size, import it, print time, peak RSS and queries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--posts", type=int, default=5000)
        parser.add_argument("--comments", type=int, default=20000)
        parser.add_argument("--file", help="Write the export here (default: a temporary file).")
        parser.add_argument("--rollback", action="store_true", help="Undo the import afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        posts, comments = options["posts"], options["comments"]
        if settings.DEBUG:
            self.stderr.write(
                "DJANGO_DEBUG is on: Django keeps the last 9,000 queries (with their SQL) in "
                "memory, which inflates the peak RSS. Run with DJANGO_DEBUG=false."
            )
        folder = tempfile.mkdtemp(prefix="inkwell-bench-")
        path = Path(options["file"] or Path(folder) / "bench.xml")
        started = time.monotonic()
        self._write(path, posts, comments)
        size = path.stat().st_size
        self.stdout.write(
            f"wrote {posts:,} posts and {comments:,} comments: {size / 1024**2:.1f} MB in "
            f"{time.monotonic() - started:.1f} s; peak RSS so far {_peak_mb():.0f} MB"
        )
        actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if actor is None:
            actor = User.objects.create_superuser(
                "bench-admin@example.com", None, username="bench-admin"
            )
        with path.open("rb") as file:
            run = services.start_import(
                actor=actor,
                source="wxr",
                file=file,
                file_name=str(path),
                in_place=True,
                enqueue=False,
            )
        started = time.monotonic()
        run = services.run_import(run.pk)
        elapsed = time.monotonic() - started
        counts = run.report.get("counts", {})
        self.stdout.write(
            f"import run {run.pk}: {run.status} in {elapsed:.1f} s "
            f"({posts / max(elapsed, 0.001):,.0f} posts/s)\n"
            f"peak RSS: {_peak_mb():.0f} MB\n"
            f"queries in the largest batch: {run.report.get('queries_per_batch')}\n"
            f"counts: {counts}\n"
            f"errors: {run.report.get('errors')}"
        )
        if options["rollback"] and run.status == "done":
            started = time.monotonic()
            services.rollback_import(actor=actor, run=run)
            self.stdout.write(
                f"rolled back in {time.monotonic() - started:.1f} s; "
                f"peak RSS now {_peak_mb():.0f} MB"
            )

    def _write(self, path: Path, posts: int, comments: int) -> None:
        per_post, extra = divmod(comments, max(posts, 1))
        authors = [(f"writer{n}", f"writer{n}@bench.example", f"Writer {n}") for n in range(20)]
        categories = [(f"section-{n}", f"Section {n}") for n in range(10)]
        tags = [(f"topic-{n}", f"Topic {n}") for n in range(50)]
        body = (
            "<p>A paragraph with <strong>bold</strong>, <em>emphasis</em> and a "
            '<a href="https://example.com/">link</a>.</p>\n<h2>A heading</h2>\n'
            "<ul><li>one</li><li>two</li></ul>\n<blockquote>A quote.</blockquote>\n"
        ) * 3
        comment_id = 1
        with path.open("wb") as out:
            write_header(out, authors=authors, categories=categories, tags=tags)
            for n in range(1, posts + 1):
                thread: list[WxrComment] = []
                for k in range(per_post + (1 if n <= extra else 0)):
                    parent = thread[-1].id if thread and k % 3 else 0
                    thread.append(
                        WxrComment(
                            comment_id,
                            f"Reader {comment_id % 997}",
                            f"reader{comment_id % 997}@bench.example",
                            f"Comment {comment_id}: <em>well put</em>.",
                            parent=parent,
                            approved="1" if comment_id % 10 else "0",
                        )
                    )
                    comment_id += 1
                day = 1 + n % 28
                write_item(
                    out,
                    WxrItem(
                        id=n,
                        title=f"Benchmark post {n}",
                        slug=f"benchmark-post-{n}",
                        content=body,
                        author=f"writer{n % 20}",
                        date_gmt=f"2020-{1 + n % 12:02d}-{day:02d} 10:00:00",
                        categories=[categories[n % 10]],
                        tags=[tags[n % 50], tags[(n * 7) % 50]],
                        comments=thread,
                    ),
                )
            write_footer(out)
