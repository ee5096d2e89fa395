"""Categories and tags: create, rename and merge (editors and admins)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext

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


def _translations(
    item: Category | Tag, wanted: dict[str, dict[str, str]] | None
) -> dict[str, dict[str, str]]:
    """Checked names and slugs per language: {"de": {"name", "slug", "description"}}.

    A language with no name has no entry (the default name shows). A slug must be free in
    its language among the model's default slugs and other items' translated ones.
    """
    if wanted is None:
        return dict(item.translations)
    model = type(item)
    found: dict[str, dict[str, str]] = {}
    errors: dict[str, list[str]] = {}
    for language, entry in wanted.items():
        name = (entry.get("name") or "").strip()
        if language not in settings.SITE_LANGUAGES or language == settings.LANGUAGE_CODE:
            errors.setdefault("__all__", []).append(
                gettext("“%(language)s” is not one of the site’s other languages.")
                % {"language": language}
            )
            continue
        if not name:
            continue
        slug = slugify(entry.get("slug") or name) or slugify(name)
        field = f"slug_{language}"
        if not slug:
            errors.setdefault(field, []).append(gettext("Use at least one letter or digit."))
            continue
        others = model.objects.exclude(pk=item.pk) if item.pk else model.objects.all()
        if others.filter(Q(**{f"translations__{language}__slug": slug}) | Q(slug=slug)).exists():
            errors.setdefault(field, []).append(
                gettext("The address “%(slug)s” is already used in this language.") % {"slug": slug}
            )
            continue
        found[language] = {
            "name": name[: model._meta.get_field("name").max_length],
            "slug": slug,
            "description": (entry.get("description") or "").strip(),
        }
    if errors:
        raise ValidationError(errors)
    return found


@transaction.atomic
def save_category(
    *,
    actor: User,
    name: str,
    description: str = "",
    category: Category | None = None,
    translations: dict[str, dict[str, str]] | None = None,
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
    category.translations = _translations(category, translations)
    category.full_clean()
    category.save()
    invalidate(pages.category_tag(category.pk))
    return category


@transaction.atomic
def save_tag(
    *,
    actor: User,
    name: str,
    description: str = "",
    tag: Tag | None = None,
    translations: dict[str, dict[str, str]] | None = None,
) -> Tag:
    """Create a tag, or rename/redescribe an existing one."""
    require(actor, "taxonomy.manage")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A tag needs a name."})
    tag = tag or Tag()
    tag.slug = _slug(name, Tag, tag.pk)
    tag.name = name
    tag.description = description.strip()
    tag.translations = _translations(tag, translations)
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
