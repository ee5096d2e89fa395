from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol

from django_components import Component, register


class CardPost(Protocol):
    """What a card reads from a post (components import no app: apps.blog.Post fits this)."""

    title: str
    subtitle: str
    excerpt: str
    published_at: datetime | None
    reading_minutes: int

    def get_absolute_url(self) -> str: ...


@register("post_card")
class PostCard(Component):
    """A post in a listing: category, title, subtitle, excerpt, author, date, tags, comments.

    The comment count shows when the post carries `comment_count` (listings annotate it).

    Given a post whose author, category and tags are already loaded; it never queries.
    """

    template_file = "post_card.html"

    class Kwargs(NamedTuple):
        post: CardPost
        featured: bool = False

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        return {"post": kwargs.post, "featured": kwargs.featured}
