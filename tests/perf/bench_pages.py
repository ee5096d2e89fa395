"""`make bench-embedded`: throughput and latency of the reader pages on the embedded default.

Starts the real ASGI server (manage.py serve) on a seeded throwaway database and
sends a bounded number of requests from a few threads over loopback, twice in one
sitting: with the page cache off (every request renders) and on (anonymous readers
get stored pages; signed-in ones still render). Each figure is also given as a ratio to
`/healthz`, the cheapest view, measured in the same run. Numbers are printed, never
asserted: targets live here, not in timed tests.
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

# A signed-in reader's session, for the pages the page cache never serves.
SESSION = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from apps.accounts.models import User
user = User.objects.create_user("bench-reader@example.com", "bench-password", username="bench-reader")
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(store.session_key)
"""


def _timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
        response.read()
    return time.perf_counter() - started


def bench(url: str, cookie: str = "") -> tuple[float, str]:
    """(req/s, line) with wrk when installed (apt-get install wrk); a Python client else."""
    if shutil.which("wrk"):
        headers = ["-H", f"Cookie: {cookie}"] if cookie else []
        output = subprocess.run(
            ["wrk", "-t1", f"-c{CONCURRENCY}", "-d5s", "--latency", *headers, url],
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
        rps = float(rate[1])
        return rps, f"{rps:7.1f} req/s   p50 {p50[1]:>8}   p99 {p99[1]:>8}"
    if cookie:
        return 0.0, "(needs wrk)"
    _timed_get(url)  # warm up
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        latencies = sorted(pool.map(_timed_get, [url] * REQUESTS))
    elapsed = time.perf_counter() - started
    median_ms = statistics.median(latencies) * 1000
    p95_ms = latencies[int(len(latencies) * 0.95) - 1] * 1000
    rps = REQUESTS / elapsed
    return rps, f"{rps:7.1f} req/s   p50 {median_ms:6.1f} ms   p95 {p95_ms:6.1f} ms"


def sitting(workdir: Path, *, page_cache: bool, session: str) -> None:
    env = clean_env(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DJANGO_DEBUG="false",
        LOG_LEVEL="WARNING",
        # The API's per-IP limit would answer most of the benchmark with 429s.
        API_RATE_LIMIT_ANON="1000000",
        PAGE_CACHE_ENABLED="true" if page_cache else "false",
    )
    with running_server(env, workdir / "server.log") as server:
        with urllib.request.urlopen(server.url + "/") as response:  # noqa: S310
            html = response.read().decode()
        post = html.split('href="/posts/', 1)[1].split('"', 1)[0]
        signed_in = f"sessionid={session}"
        pages = {
            "healthz (the floor)": ("/healthz", ""),
            "home": ("/", ""),
            "home page 3 (htmx partial)": ("/?page=3", ""),
            "post": (f"/posts/{post}", ""),
            "post with 205 comments": ("/posts/designing-the-empty-state/", ""),
            "  the same, signed in": ("/posts/designing-the-empty-state/", signed_in),
            "home, signed in": ("/", signed_in),
            "tag page": ("/tags/writing/", ""),
            "feed": ("/feed/", ""),
            "API v2 posts (JSON)": ("/api/v2/posts", ""),
            "API v1 post comments": ("/api/v1/posts/designing-the-empty-state/comments", ""),
        }
        state = "on" if page_cache else "off"
        print(f"page cache {state}: {CONCURRENCY} concurrent, one ASGI process, wrk 5 s a page")  # noqa: T201
        floor = 0.0
        for name, (path, cookie) in pages.items():
            rps, line = bench(server.url + path, cookie)
            floor = floor or rps
            ratio = f"{rps / floor:5.2f}x healthz" if floor else ""
            print(f"  {name:28} {line}   {ratio}")  # noqa: T201


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = clean_env(DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}")
        manage("migrate", "--noinput", "-v0", env=env)
        manage("seed_demo", env=env)
        manage("shell", "-c", MANY_COMMENTS, env=env)
        session = manage("shell", "-c", SESSION, env=env).stdout.strip().splitlines()[-1]
        for page_cache in (False, True):
            sitting(workdir, page_cache=page_cache, session=session)


if __name__ == "__main__":
    main()
