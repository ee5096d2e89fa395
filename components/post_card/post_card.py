from __future__ import annotations

from typing import Any, NamedTuple

from django_components import Component, register

from apps.blog.models import Post


@register("post_card")
class PostCard(Component):
    """A post in a listing: category, title, excerpt, author, date, tags.

    Given a post whose author, category and tags are already loaded; it never queries.
    """

    template_file = "post_card.html"

    class Kwargs(NamedTuple):
        post: Post
        featured: bool = False

    def get_template_data(
        self, args: Any, kwargs: Kwargs, slots: Any, context: Any
    ) -> dict[str, Any]:
        return {"post": kwargs.post, "featured": kwargs.featured}
