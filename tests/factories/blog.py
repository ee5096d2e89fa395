from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from apps.blog.models import Category, Post, Tag
from apps.core.markdown import markdown_to_safe_html
from tests.factories.accounts import UserFactory


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class PostFactory(DjangoModelFactory[Post]):
    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Post number {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    excerpt = "A short excerpt."
    body = "## Heading\n\nSome *Markdown* text with a [link](https://example.com)."
    body_html = factory.LazyAttribute(lambda o: markdown_to_safe_html(o.body))
    author = factory.SubFactory(UserFactory)
    category = factory.SubFactory(CategoryFactory)
    status = Post.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: object) -> None:
        if create and extracted:
            self.tags.set(extracted)


def translate(source: Post, language: str, *, title: str, publish: bool = True) -> Post:
    """A translation of `source` made through the services as an editor would, published."""
    from apps.accounts.roles import Role
    from apps.accounts.services import grant_role_as_system
    from apps.blog import services

    editor = grant_role_as_system(user=UserFactory.create(), role=Role.EDITOR, reason="test")
    post = services.create_translation(actor=editor, source=source, language=language)
    content = services.current_content(post)
    content.title = title
    post = services.update_post(
        actor=editor, post=post, content=content, based_on_version=post.version
    )
    return services.publish_post(actor=editor, post=post) if publish else post
