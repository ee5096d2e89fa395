"""Reads for imports: runs for the dashboard, and where an old address leads."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.transfer.models import ImportRun, LegacyRedirect


def import_runs() -> QuerySet[ImportRun]:
    """Runs, newest first, with who started them."""
    return ImportRun.objects.select_related("created_by").order_by("-created_at", "-id")


def legacy_target(path: str) -> str | None:
    """The new address of an old one ("/2019/05/hello-world/", "/?p=12"), or None."""
    key = path.rstrip("/") or "/"
    found = (
        LegacyRedirect.objects.select_related("post")
        .filter(old_path__in=[key, f"{key}/"] if key != "/" else [key])
        .first()
    )
    if found is None:
        return None
    if found.post is not None and not found.post.is_public:
        return None  # a draft's old address stays a 404 rather than revealing its new one
    return found.target_url() or None
