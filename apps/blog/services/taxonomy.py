"""Categories and tags: create, rename and merge (editors and admins)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.blog import pages
from apps.blog.models import Category, Post, Tag
from apps.core.pagecache import invalidate


def _slug(name: str, model: type[Category] | type[Tag], exclude_pk: int | None = None) -> str:
    slug = slugify(name)
    if not slug:
        raise ValidationError({"name": "Use at least one letter or digit."})
    taken = model.objects.filter(slug=slug)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": f"“{name}” already exists."})
    return slug


@transaction.atomic
def save_category(
    *, actor: User, name: str, description: str = "", category: Category | None = None
) -> Category:
    """Create a category, or rename/redescribe an existing one."""
    require(actor, "taxonomy.manage")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A category needs a name."})
    category = category or Category()
    category.slug = _slug(name, Category, category.pk)
    category.name = name
    category.description = description.strip()
    category.full_clean()
    category.save()
    invalidate(pages.category_tag(category.pk))
    return category


@transaction.atomic
def save_tag(*, actor: User, name: str, description: str = "", tag: Tag | None = None) -> Tag:
    """Create a tag, or rename/redescribe an existing one."""
    require(actor, "taxonomy.manage")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A tag needs a name."})
    tag = tag or Tag()
    tag.slug = _slug(name, Tag, tag.pk)
    tag.name = name
    tag.description = description.strip()
    tag.full_clean()
    tag.save()
    invalidate(pages.tag_tag(tag.pk))
    return tag


@transaction.atomic
def merge_tags(*, actor: User, sources: list[Tag], target: Tag) -> int:
    """Move every post from `sources` onto `target` and delete the sources; return posts moved."""
    require(actor, "taxonomy.manage")
    sources = [tag for tag in sources if tag.pk != target.pk]
    if not sources:
        raise ValidationError("Choose at least one other tag to merge into this one.")
    through = Post.tags.through
    post_ids = set(
        through.objects.filter(tag__in=sources).values_list("post_id", flat=True).distinct()
    )
    already = set(through.objects.filter(tag=target).values_list("post_id", flat=True))
    through.objects.bulk_create(
        [through(post_id=post_id, tag_id=target.pk) for post_id in post_ids - already]
    )
    Tag.objects.filter(pk__in=[tag.pk for tag in sources]).delete()
    merged = [*sources, target]
    invalidate(
        *[pages.tag_tag(tag.pk) for tag in merged],
        *[pages.tag_posts_tag(tag.pk) for tag in merged],
        *[pages.post_tag(post_id) for post_id in post_ids],
    )
    return len(post_ids)


@transaction.atomic
def delete_category(*, actor: User, category: Category) -> None:
    """Delete a category; its posts keep existing without one."""
    require(actor, "taxonomy.manage")
    tags = [pages.category_tag(category.pk), pages.category_posts_tag(category.pk)]
    category.delete()
    invalidate(*tags)
