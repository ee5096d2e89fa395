"""Site: name, tagline, URL, and the limits the site's pages and comments use."""

from __future__ import annotations

from project.settings.environment import env

SITE_NAME: str = env.str("SITE_NAME", default="Inkwell")
SITE_TAGLINE: str = env.str(
    "SITE_TAGLINE", default="Essays, notes and field reports on making things."
)
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")
POSTS_PER_PAGE = 12
# A post page shows this many comment threads (a top-level comment and its replies) and this
# many replies of each; "load more" brings the rest (apps.comments.selectors.paging).
COMMENT_THREADS_PER_PAGE: int = env.int("COMMENT_THREADS_PER_PAGE", default=20)
COMMENT_REPLIES_PER_THREAD: int = env.int("COMMENT_REPLIES_PER_THREAD", default=10)
# Comments per user per window (apps.comments.services.create_comment, web and API alike).
COMMENT_RATE_LIMIT: int = env.int("COMMENT_RATE_LIMIT", default=5)
COMMENT_RATE_WINDOW: int = env.int("COMMENT_RATE_WINDOW", default=60)
# A post's live events are kept this many days for reconnecting pages and apps to catch up
# (`?since=<seq>`); a client asking from before them is told to reload
# (apps.comments.services.stream).
LIVE_EVENT_RETENTION_DAYS: int = env.int("LIVE_EVENT_RETENTION_DAYS", default=7)
# Notification emails wait this long for others to join the same message (one per batch).
NOTIFICATION_EMAIL_DELAY_SECONDS: int = env.int("NOTIFICATION_EMAIL_DELAY_SECONDS", default=300)
# `manage.py repair_notifications` looks back this far for comments missing their notifications.
NOTIFICATION_REPAIR_HOURS: int = env.int("NOTIFICATION_REPAIR_HOURS", default=48)
