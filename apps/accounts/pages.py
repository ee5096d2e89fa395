"""Page-cache tags for what accounts own (apps.core.pagecache)."""

from __future__ import annotations


def profile_tag(user_id: int) -> str:
    """Pages that show this person's public name, bio or avatar."""
    return f"user:{user_id}"
