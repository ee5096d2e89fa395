"""Page-cache tags for what the blog shows (apps.core.pagecache).

Views declare the tags of what a page shows (`depend_on`); the blog services invalidate
the tags of what they changed (`apps.blog.services.pages`). Two kinds of tag:

- what a thing looks like: `post:<id>` (a post's own content), `category:<id>` and
  `tag:<id>` (names and descriptions), `user:<id>` (a person's public profile);
- which posts a listing holds: `posts` (every public post, in order: home, archive,
  search), `category-posts:<id>`, `tag-posts:<id>`, `author-posts:<id>`, and
  `adjacent:<id>` (a post's older/newer links).

Comments on a post are `comments:<post id>` (apps.comments invalidates it).
"""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.pages import profile_tag
from apps.blog.models import Post

POSTS = "posts"


def post_tag(post_id: int) -> str:
    return f"post:{post_id}"


def adjacent_tag(post_id: int) -> str:
    return f"adjacent:{post_id}"


def comments_tag(post_id: int) -> str:
    return f"comments:{post_id}"


def versions_tag(source_id: int) -> str:
    """A post's language versions: its page's hreflang links and switcher name them."""
    return f"versions:{source_id}"


def category_tag(category_id: int) -> str:
    return f"category:{category_id}"


def category_posts_tag(category_id: int) -> str:
    return f"category-posts:{category_id}"


def tag_tag(tag_id: int) -> str:
    return f"tag:{tag_id}"


def tag_posts_tag(tag_id: int) -> str:
    return f"tag-posts:{tag_id}"


def author_posts_tag(user_id: int) -> str:
    return f"author-posts:{user_id}"


def card_tags(posts: Iterable[Post]) -> list[str]:
    """What post cards show: each post, its author, category, tags and comment count."""
    tags: list[str] = []
    for post in posts:
        tags += [post_tag(post.pk), profile_tag(post.author_id), comments_tag(post.pk)]
        if post.category_id is not None:
            tags.append(category_tag(post.category_id))
        tags += [tag_tag(tag.pk) for tag in post.tags.all()]
    return tags


def membership_tags(
    *, category_id: int | None, tag_ids: Iterable[int], author_ids: Iterable[int]
) -> list[str]:
    """The listings a post with these facts appears in."""
    tags = [tag_posts_tag(pk) for pk in tag_ids] + [author_posts_tag(pk) for pk in author_ids]
    if category_id is not None:
        tags.append(category_posts_tag(category_id))
    return tags
