"""Imports from WordPress and Ghost (apps.transfer); see docs/operations.md, "Imports"."""

from __future__ import annotations

from pathlib import Path

from project.settings.environment import VAR_DIR, env

# The largest file the dashboard accepts (the command reads any size). WXR is streamed, so
# this only bounds the upload and the disk it takes; nginx's client_max_body_size must allow it.
TRANSFER_MAX_UPLOAD_BYTES: int = env.int("TRANSFER_MAX_UPLOAD_BYTES", default=1024**3)
# A Ghost export is one JSON document and is read whole: above this it is refused.
TRANSFER_GHOST_MAX_BYTES: int = env.int("TRANSFER_GHOST_MAX_BYTES", default=200 * 1024**2)
# Images fetched from the old site: time limit (seconds) and size cap per image.
TRANSFER_IMAGE_TIMEOUT: float = env.float("TRANSFER_IMAGE_TIMEOUT", default=10.0)
TRANSFER_IMAGE_MAX_BYTES: int = env.int("TRANSFER_IMAGE_MAX_BYTES", default=10 * 1024**2)
# A RUNNING import whose worker has not reported for this long is offered for resuming.
TRANSFER_STALE_SECONDS: int = env.int("TRANSFER_STALE_SECONDS", default=300)
# Uploaded import files wait here for the worker: private (they hold email addresses).
TRANSFER_DIR = Path(env.str("TRANSFER_DIR", default=str(VAR_DIR / "imports")))
