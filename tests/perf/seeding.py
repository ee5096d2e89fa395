"""What `make bench` measures, on top of `seed_demo`: run inside the bench's Django.

    manage.py shell -c "from tests.perf.seeding import main; main()"

- the newest post gets 100 comments in 20 threads, three levels deep, posted through
  `create_comment` by ten verified readers (the moderation hold is "none" in the bench
  database, so they are published as a trusted community's would be);
- a signed-in reader's session (the signed-in page) and a verified commenter's session
  (the fan-out posts comments with it);
- the tag with the most posts, a search word with results;
- the queries of the cold anonymous post page (page cache and cachalot emptied).

Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import caches
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.blog.models import Post, Tag
from apps.blog.selectors import published_posts
from apps.comments.models import Comment, ModerationSettings
from apps.comments.services.comments import create_comment

THREADS = 20  # of 5 comments: 100
BODY = (
    "A *considered* reply, with `code`, a [link](https://example.com/notes) and a second "
    "sentence so the comment is as long as most are. Thanks for writing this up."
)


def verified_user(username: str) -> User:
    user = User.objects.create_user(f"{username}@example.com", None, username=username)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def session_for(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # One of AUTHENTICATION_BACKENDS, or the session reads as anonymous (a plain ModelBackend
    # session would measure an anonymous render without the page cache).
    store[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def hundred_comments(post: Post) -> int:
    readers = [verified_user(f"bench-reader-{n}") for n in range(10)]

    def say(n: int, parent: Comment | None = None) -> Comment:
        return create_comment(actor=readers[n % 10], post=post, body=BODY, parent=parent)

    for n in range(THREADS):
        top = say(n)  # level 0
        reply = say(n + 1, top)  # level 1
        deeper = say(n + 2, reply)  # level 2
        say(n + 3, deeper)  # below the last level: shown beside its parent, at level 2
        say(n + 4, top)  # a second reply at level 1
    return Comment.objects.filter(post=post, status=Comment.Status.PUBLISHED).count()


def cold_post_queries(path: str) -> tuple[int, int]:
    """Queries of the anonymous post page with empty caches, then once more (warm)."""
    caches["default"].clear()  # the bench's own Redis database: pages and cachalot
    client = Client(HTTP_HOST="127.0.0.1")
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        counts.append(len(queries))
    return counts[0], counts[1]


def seed() -> dict[str, Any]:
    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    post = published_posts().filter(comments__isnull=True).first() or published_posts().first()
    if post is None:
        raise SystemExit("No published post: did seed_demo run?")
    if not post.comments_open:
        Post.objects.filter(pk=post.pk).update(comments_open=True)
        post.refresh_from_db()
    comments = hundred_comments(post)
    tag = (
        Tag.objects.annotate(n=Count("posts", filter=Q(posts__status=Post.Status.PUBLISHED)))
        .order_by("-n", "slug")
        .first()
    )
    if tag is None:
        raise SystemExit("No tag: did seed_demo run?")
    cold, warm = cold_post_queries(post.get_absolute_url())
    return {
        "post_id": post.pk,
        "post_path": post.get_absolute_url(),
        "comments": comments,
        "tag_path": tag.get_absolute_url(),
        "search_query": tag.name.split()[0].lower(),
        "reader_session": session_for(verified_user("bench-signed-in")),
        "commenter_session": session_for(verified_user("bench-commenter")),
        "cold_post_queries": cold,
        "warm_post_queries": warm,
    }


def main() -> None:
    print(json.dumps(seed()))  # noqa: T201
