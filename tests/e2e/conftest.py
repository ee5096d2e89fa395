"""Browser journeys: Playwright drives Debian's Chromium against the real ASGI server.

The server is started with the same command `make serve` uses (manage.py serve,
uvicorn) on a throwaway SQLite database seeded with the demo content, so
WebSockets work exactly as they do for a reader.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page

# Playwright's sync API runs an event loop in this thread; Django's async-safety
# guard would otherwise refuse the ORM in fixtures (the known pytest-playwright issue).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real ASGI server (uvicorn via manage.py serve) on a seeded throwaway database."""
    workdir = tmp_path_factory.mktemp("e2e")
    env = _server_env(workdir / "e2e.sqlite3")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*manage, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"The server exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The server did not become healthy in 30 s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def base_url(live_server_url: str) -> str:
    return live_server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium: Playwright cannot download its own browser here."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _fail_on_csp_and_script_errors(page: Page) -> Iterator[None]:
    """Any CSP violation or uncaught script error in the page fails the test."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "Refused to" in text or "Uncaught" in text
        ):
            problems.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    yield
    assert problems == [], "The browser reported:\n" + "\n".join(problems)
