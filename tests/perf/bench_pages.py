"""`make bench`: throughput and latency of the reader pages on the embedded default.

Starts the real ASGI server (manage.py serve) on a seeded throwaway database and
sends a bounded number of requests from a few threads over loopback. Numbers are
printed, never asserted: targets live here, not in timed tests.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.servers import clean_env, manage, running_server

REQUESTS = 400

# 200 comments in threads (three levels, ten readers) on the demo thread's post.
MANY_COMMENTS = """
from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import Comment
from apps.core.markdown import markdown_to_safe_html
post = Post.objects.get(slug="designing-the-empty-state")
readers = [User.objects.create_user(f"bench{i}@example.com", None, username=f"bench{i}") for i in range(10)]
html = markdown_to_safe_html("A *considered* reply with `code` and a [link](https://example.com).", profile="comment")
for n in range(40):
    top = Comment.objects.create(post=post, author=readers[n % 10], body="x", body_html=html)
    one = Comment.objects.create(post=post, author=readers[(n + 1) % 10], parent=top, root=top, thread_parent=top, depth=1, body="x", body_html=html)
    two = Comment.objects.create(post=post, author=readers[(n + 2) % 10], parent=one, root=top, thread_parent=one, depth=2, body="x", body_html=html)
    Comment.objects.create(post=post, author=readers[(n + 3) % 10], parent=two, root=top, thread_parent=one, depth=2, body="x", body_html=html)
    Comment.objects.create(post=post, author=readers[(n + 4) % 10], parent=top, root=top, thread_parent=top, depth=1, body="x", body_html=html)
print(post.comments.count())
"""
CONCURRENCY = 8


def _timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
        response.read()
    return time.perf_counter() - started


def bench(url: str) -> str:
    """wrk when installed (apt-get install wrk): a Python client would measure itself too."""
    if shutil.which("wrk"):
        output = subprocess.run(
            ["wrk", "-t1", f"-c{CONCURRENCY}", "-d5s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
        # Anchored: "75.50%" in the thread stats would otherwise match "50%".
        p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
        p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
        if not (rate and p50 and p99):
            raise RuntimeError(f"Could not read wrk's output:\n{output}")
        return f"{float(rate[1]):7.1f} req/s   p50 {p50[1]:>8}   p99 {p99[1]:>8}   (wrk, 5 s)"
    _timed_get(url)  # warm up
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        latencies = sorted(pool.map(_timed_get, [url] * REQUESTS))
    elapsed = time.perf_counter() - started
    median_ms = statistics.median(latencies) * 1000
    p95_ms = latencies[int(len(latencies) * 0.95) - 1] * 1000
    return f"{REQUESTS / elapsed:7.1f} req/s   p50 {median_ms:6.1f} ms   p95 {p95_ms:6.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = clean_env(
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            DJANGO_DEBUG="false",
            LOG_LEVEL="WARNING",
            # The API's per-IP limit would answer most of the benchmark with 429s.
            API_RATE_LIMIT_ANON="1000000",
        )
        manage("migrate", "--noinput", "-v0", env=env)
        manage("seed_demo", env=env)
        manage("shell", "-c", MANY_COMMENTS, env=env)
        with running_server(env, workdir / "server.log") as server:
            with urllib.request.urlopen(server.url + "/") as response:  # noqa: S310
                html = response.read().decode()
            post = html.split('href="/posts/', 1)[1].split('"', 1)[0]
            pages = {
                "home": "/",
                "home page 3 (htmx partial)": "/?page=3",
                "post": f"/posts/{post}",
                "post with 205 comments": "/posts/designing-the-empty-state/",
                "API v2 posts (JSON)": "/api/v2/posts",
                "API v1 post comments": "/api/v1/posts/designing-the-empty-state/comments",
                "healthz": "/healthz",
            }
            print(f"{REQUESTS} requests per page, {CONCURRENCY} concurrent, one ASGI process")  # noqa: T201
            for name, path in pages.items():
                print(f"  {name:28} {bench(server.url + path)}")  # noqa: T201


if __name__ == "__main__":
    main()
