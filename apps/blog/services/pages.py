"""Which cached pages a change to a post makes stale (apps.core.pagecache, apps.blog.pages).

Every service that changes what readers see of a post calls `invalidate_post` after its
write; it names the post's own page and cards, the listings it is in before and after
the change and, when the post appears, disappears or moves in time, every public
listing and the older/newer links of its neighbours. A draft's edits touch nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from apps.blog import pages
from apps.blog.models import Post
from apps.blog.selectors import adjacent_posts
from apps.core.pagecache import invalidate


def public_tags(post: Post) -> set[str]:
    """The tags of the pages a public post shows on (empty unless it is published)."""
    if post.status != Post.Status.PUBLISHED:
        return set()
    authors = [post.author_id, *post.coauthors.values_list("pk", flat=True)]
    return {
        pages.post_tag(post.pk),
        *pages.membership_tags(
            category_id=post.category_id,
            tag_ids=post.tags.values_list("pk", flat=True),
            author_ids=authors,
        ),
    }


def invalidate_post(post: Post, *, before: Iterable[str] = (), moved: bool = False) -> None:
    """Make stale what showed `post` (tags from `public_tags` taken before the change too).

    `moved`: the post appeared, disappeared or changed its date, so every public listing
    and the older/newer links on either side of it change as well.
    """
    tags = set(before) | public_tags(post)
    if tags:  # it is or was public: its versions' pages list it in their language links
        tags.add(pages.versions_tag(post.source_id))
    if moved and post.published_at is not None:
        tags.add(pages.POSTS)
        tags.update(pages.adjacent_tag(other.pk) for other in adjacent_posts(post) if other)
    invalidate(*tags)
