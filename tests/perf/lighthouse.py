"""Lighthouse (mobile) on the home page and on a post with 100 comments, against Inkwell in its
production shape: `make lighthouse`.

The same stack `make bench` measures (tests/perf/stack.py): a throwaway PostgreSQL database,
Redis, DJANGO_ENV=production (DEBUG off, hashed static files), granian WSGI for the pages and
`manage.py serve` (ASGI) for the live comments' socket, behind nginx on the production file
(infrastructure/nginx/inkwell.conf: TLS with a throwaway certificate, static files from disk
with their .gz, /ws/ to ASGI). Without nginx installed, Lighthouse talks to granian directly
(whitenoise serves the static files; the post page's socket then has no server). The demo
content is seeded and the newest post gets 100 comments (tests/perf/seeding.py). Lighthouse
comes from npm (apps/theme/static_src, a devDependency) and drives the system's Chromium.

Prints each page's four scores and exits 1 when one is under its bar (performance 95,
accessibility, best practices and SEO 100), plus the first-load CSS + JS size compressed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests import nginx  # noqa: E402
from tests.perf import stack  # noqa: E402

LIGHTHOUSE = ROOT / "apps/theme/static_src/node_modules/.bin/lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
BARS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
FIRST_LOAD_BUDGET = 60 * 1024  # bytes of CSS + JS, compressed, on a public page


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/inkwell_bench_lighthouse",
        help="created afresh and dropped at the end (its name must hold 'bench')",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs a page (median)")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    parser.add_argument("--reports", type=Path, help="keep Lighthouse's JSON reports here")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


def lighthouse(url: str, chrome: str, out: Path) -> dict[str, int]:
    """One mobile Lighthouse run; the category scores out of 100."""
    flags = "--headless --no-sandbox --disable-gpu"
    if url.startswith("https://"):
        flags += " --ignore-certificate-errors"  # nginx's throwaway certificate
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={flags}",
    ]
    if url.startswith("http://"):  # straight to granian: say what nginx would
        command.append(f"--extra-headers={json.dumps(stack.PROXY_HEADERS)}")
    env = {**os.environ, "CHROME_PATH": chrome}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not out.exists():
        raise SystemExit(f"lighthouse failed on {url}:\n{completed.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(out.read_text())
    return {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}


def failing_audits(path: Path) -> list[str]:
    """The audits under 1 of the categories with a 100 bar: what to fix."""
    report = json.loads(path.read_text())
    weak = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("scoreDisplayMode") == "error":
                weak.append(f"{name}: {audit['id']} could not run: {audit.get('errorMessage')}")
            elif ref.get("weight") and audit.get("score") is not None and audit["score"] < 1:
                weak.append(
                    f"{name}: {audit['id']} ({audit['score']}) {audit.get('displayValue', '')}"
                )
    return weak


def first_load_bytes(base: str, path: str) -> int:
    """CSS and JS a public page loads up front (stylesheets and scripts), gzip-compressed."""
    headers = dict(stack.PROXY_HEADERS)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # nginx's throwaway certificate
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, context=context) as page:  # noqa: S310
        html = page.read().decode()
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assets += re.findall(r'<script src="([^"]+)"', html)
    total = 0
    for asset in assets:
        request = urllib.request.Request(base + asset, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, context=context) as response:  # noqa: S310
            total += len(gzip.compress(response.read(), compresslevel=9))
    return total


def front_site(work: Path, env: dict[str, str]) -> nginx.Site:
    """nginx's production file for this run; its upstreams are filled in by `start_front`."""
    root = work / "nginx"
    root.mkdir()
    site = nginx.write_site(root, wsgi="WSGI_UPSTREAM", asgi="ASGI_UPSTREAM")
    conf = root / "inkwell.conf"
    text = conf.read_text()
    for deployed, here in {
        "/srv/inkwell/staticfiles/": env["DJANGO_STATIC_ROOT"] + "/",
        "/srv/inkwell/media/": env["DJANGO_MEDIA_ROOT"] + "/",
    }.items():
        if deployed not in text:
            raise SystemExit(f"{deployed} is no longer in {conf.name}: update {__file__}")
        text = text.replace(deployed, here)
    conf.write_text(text)
    return site


def start_front(
    servers: stack.Stack, site: nginx.Site, wsgi: stack.Server, asgi: stack.Server
) -> stack.Server:
    """nginx on the production file in front of granian and the ASGI server."""
    conf = site.root / "inkwell.conf"
    text = conf.read_text()
    for placeholder, server in (("WSGI_UPSTREAM", wsgi), ("ASGI_UPSTREAM", asgi)):
        text = text.replace(placeholder, server.url.removeprefix("http://"))
    conf.write_text(text)
    command = [nginx.NGINX, "-p", str(site.root), "-c", str(site.main), "-g", "daemon off;"]
    front = servers.start("nginx", command, os.environ.copy(), site.tls_port)
    front.url = site.url
    servers.wait_until_up(front, "/healthz")
    return front


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is missing: run `make npm-install` (it is a devDependency).")
    with tempfile.TemporaryDirectory(prefix="inkwell-lighthouse-") as tmp:
        work = Path(tmp)
        with stack.throwaway_database(args.database) as database_url:
            env = stack.production_env(
                database_url=database_url, redis_url=args.redis, channel_url=args.redis,
                static_root=work / "static",
            )  # fmt: skip
            # Keys of this run only: a page cached by an earlier run never answers.
            env["CACHE_KEY_PREFIX"] = f"inkwell-lighthouse-{secrets.token_hex(4)}"
            env["DJANGO_MEDIA_ROOT"] = str(work / "media")
            site = front_site(work, env) if nginx.installed() else None
            if site is not None:
                # The socket's handshake reaches the ASGI server without the public port
                # (production's is 443); the page's origin is trusted as in production.
                env["DJANGO_CSRF_TRUSTED_ORIGINS"] = site.url
            stack.manage("migrate", "--noinput", "-v0", env=env)
            stack.manage("collectstatic", "--noinput", "-v0", env=env)
            stack.manage("seed_demo", env=env)
            seeded = stack.manage(
                "shell", "-c", "from tests.perf.seeding import main; main()", env=env
            )
            seed = json.loads(seeded.strip().splitlines()[-1])
            servers = stack.Stack(work)
            try:
                server = servers.wsgi("wsgi", stack.PRODUCT_WSGI, env)
                asgi = servers.asgi("asgi", env)
                for started in (server, asgi):
                    servers.wait_until_up(started, "/healthz")
                if site is not None:
                    server = start_front(servers, site, server, asgi)
                else:
                    say("nginx is not installed: Lighthouse talks to granian directly")
                pages = {"home": "/", f"post with {seed['comments']} comments": seed["post_path"]}
                results: dict[str, dict[str, int]] = {}
                failed = False
                for label, path in pages.items():
                    runs = []
                    for n in range(args.runs):
                        out = (args.reports or work) / f"{label.split()[0]}-{n}.json"
                        runs.append((lighthouse(server.url + path, args.chrome, out), out))
                    runs.sort(key=lambda run: run[0]["performance"])
                    scores, report = runs[len(runs) // 2]
                    results[label] = scores
                    shown = "  ".join(f"{name} {scores[name]}" for name in CATEGORIES)
                    say(f"{label:<28} {shown}")
                    for line in failing_audits(report):
                        say(f"    {line}")
                    failed |= any(scores[name] < bar for name, bar in BARS.items())
                size = first_load_bytes(server.url, "/")
                say(
                    f"first-load CSS + JS on the home page: {size / 1024:.1f} KB compressed (budget 60 KB)"
                )
                failed |= size > FIRST_LOAD_BUDGET
            finally:
                servers.close()
    if args.json:
        args.json.write_text(json.dumps({"pages": results, "first_load_bytes": size}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
