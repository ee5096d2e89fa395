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
