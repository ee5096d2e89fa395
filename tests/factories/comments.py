import factory
from factory.django import DjangoModelFactory

from apps.comments.models import MAX_DEPTH, Comment, CommentReport
from apps.core.markdown import markdown_to_safe_html
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory


def _thread_parent(o: object) -> Comment | None:
    # The same rule as services.create_comment: replies below the third level are shown
    # in the replies list of the comment they answer's own list.
    parent: Comment | None = getattr(o, "parent", None)
    if parent is None:
        return None
    return parent if parent.depth < MAX_DEPTH else parent.thread_parent


class CommentFactory(DjangoModelFactory[Comment]):
    """A published comment; pass `parent=` for a reply (post, root, depth follow the parent)."""

    class Meta:
        model = Comment
        skip_postgeneration_save = True

    parent = None
    post = factory.LazyAttribute(lambda o: o.parent.post if o.parent else PostFactory.create())
    author = factory.SubFactory(UserFactory)
    root = factory.LazyAttribute(lambda o: (o.parent.root or o.parent) if o.parent else None)
    thread_parent = factory.LazyAttribute(_thread_parent)
    depth = factory.LazyAttribute(lambda o: min(o.parent.depth + 1, MAX_DEPTH) if o.parent else 0)
    body = factory.Sequence(lambda n: f"Comment number {n} with *emphasis*.")
    body_html = factory.LazyAttribute(lambda o: markdown_to_safe_html(o.body, profile="comment"))
    status = Comment.Status.PUBLISHED


class CommentReportFactory(DjangoModelFactory[CommentReport]):
    class Meta:
        model = CommentReport

    comment = factory.SubFactory(CommentFactory)
    reporter = factory.SubFactory(UserFactory)
    reason = "Off topic"
