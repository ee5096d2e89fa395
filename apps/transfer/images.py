"""Images of an imported site, fetched by the worker and stored through the media pipeline.

Each address is fetched once per run (and once per site: apps.transfer.importer records
what it stored), with a time limit, a size cap and a content-type check; Pillow then
checks the bytes and the media pipeline strips metadata and makes renditions
(apps.blog.services.media). An image that cannot be fetched stays a link in the post and
gets a line in the report. The old site is the importer's own choice of server, so the
private-address rules of outgoing webhooks do not apply here; the caps do.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Final
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.models import User
from apps.blog.models import PostImage
from apps.blog.services import upload_post_image

CHUNK: Final = 64 * 1024


class ImageStore:
    """Fetches images by URL for one run and stores them as PostImages."""

    def __init__(self, *, timeout: float | None = None, max_bytes: int | None = None) -> None:
        self.timeout: float = timeout or settings.TRANSFER_IMAGE_TIMEOUT
        self.max_bytes: int = max_bytes or settings.TRANSFER_IMAGE_MAX_BYTES
        self.session = requests.Session()
        self.session.max_redirects = 3
        self.session.headers["User-Agent"] = "Inkwell importer"
        self._actors: dict[int, User] = {}

    def store(self, url: str, *, actor_id: int | None) -> tuple[PostImage | None, str]:
        """The stored image, or None and why not ("could not be fetched: timeout", …)."""
        if urlsplit(url).scheme not in {"http", "https"}:
            return None, "is not a web address"
        data, problem = self._fetch(url)
        if data is None:
            return None, problem
        actor = self._actor(actor_id)
        if actor is None:
            return None, "has no account to store it under"
        name = PurePosixPath(urlsplit(url).path).name or "image"
        try:
            picture = upload_post_image(
                actor=actor, post=None, upload=SimpleUploadedFile(name[:100], data)
            )
        except ValidationError as error:
            return None, "is not an image we can read (" + " ".join(error.messages) + ")"
        return picture, ""

    def _actor(self, actor_id: int | None) -> User | None:
        if actor_id is None:
            return None
        if actor_id not in self._actors:
            self._actors[actor_id] = User.objects.get(pk=actor_id)
        return self._actors[actor_id]

    def _fetch(self, url: str) -> tuple[bytes | None, str]:
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as response:
                if response.status_code != 200:
                    return None, f"could not be fetched (HTTP {response.status_code})"
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if not kind.startswith("image/"):
                    return None, f"is not an image (Content-Type {kind or 'missing'})"
                length = response.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > self.max_bytes:
                    return None, f"is larger than {self.max_bytes // (1024 * 1024)} MB"
                data = bytearray()
                for chunk in response.iter_content(CHUNK):
                    data += chunk
                    if len(data) > self.max_bytes:
                        return None, f"is larger than {self.max_bytes // (1024 * 1024)} MB"
                return bytes(data), ""
        except requests.Timeout:
            return None, "could not be fetched (timed out)"
        except requests.RequestException as error:
            return None, f"could not be fetched ({type(error).__name__})"
