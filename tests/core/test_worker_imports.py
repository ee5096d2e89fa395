"""What a production page worker loads at start-up (issue 11: ≤ 150 MiB RSS a worker).

Heavy libraries that few requests need load with the request that needs them: Pillow
(uploads, social cards), qrcode (2FA enrolment), lxml and stream-zip (exports),
standardwebhooks (the task worker's signing). Development tools that the production lock
does not hold (Twisted, rich, Jinja2) are never loaded, even from a development venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LATER = ("PIL", "qrcode", "lxml", "stream_zip", "standardwebhooks", "jinja2", "twisted", "rich")
PROBE = f"""
import json, sys
LATER = {LATER!r}
import project.wsgi
from django.test import Client
answer = Client().get("/healthz")
print(json.dumps({{
    "status": answer.status_code,
    "loaded": sorted(m for m in LATER if sys.modules.get(m) is not None),
}}))
"""


@pytest.mark.slow
def test_a_production_page_worker_starts_without_the_libraries_few_requests_need(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CHANNEL_", "OTEL_"))
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k" * 60 + "x9Y8w7V6u5T4",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SITE_URL="https://example.com",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        DJANGO_SECURE_SSL_REDIRECT="false",
    )
    (tmp_path / "metrics").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["loaded"] == []
    assert probe["status"] == 200
