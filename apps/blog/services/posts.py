"""Writing posts: create, edit (with revisions, slug history and conflict safety), restore."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.blog.content import PostContent
from apps.blog.models import Category, Post, PostSlug, Revision, Tag
from apps.blog.pages import post_tag
from apps.blog.services.pages import invalidate_post, public_tags
from apps.core.markdown import markdown_to_safe_html_with_toc
from apps.core.pagecache import invalidate
from apps.webhooks.emitters import post_event

WORDS_PER_MINUTE = 230
_WORD = re.compile(r"\w+")
MAX_BODY_CHARS = 200_000


class EditConflictError(ValidationError):
    """Someone saved the post after the version this edit started from."""

    def __init__(self, post: Post, based_on: int) -> None:
        super().__init__(
            "Someone else saved this post while you were editing it (your edit started "
            f"from version {based_on}; it is now at version {post.version}). Nothing was "
            "overwritten: compare the two versions and save again.",
            code="conflict",
        )
        self.post = post
        self.based_on = based_on


def reading_minutes(markdown: str) -> int:
    """Minutes an average reader needs for this text; at least one."""
    return max(1, math.ceil(len(_WORD.findall(markdown)) / WORDS_PER_MINUTE))


@transaction.atomic
def get_or_create_category(*, name: str, description: str = "") -> Category:
    """The category with this name, created if it does not exist."""
    category, _ = Category.objects.get_or_create(
        slug=slugify(name), defaults={"name": name, "description": description}
    )
    return category


@transaction.atomic
def get_or_create_tags(*, names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created where missing, in the given order."""
    tags = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        tags.append(tag)
    return tags


def slug_is_taken(
    slug: str, *, exclude_post: Post | None = None, language: str | None = None
) -> bool:
    """True when a post in the language uses `slug` now, or used it before (its old URLs
    still redirect). Slugs are unique within a language: a translation may keep its source's.

    The language is `language`, else `exclude_post`'s, else the site's default.
    """
    if language is None:
        language = exclude_post.language if exclude_post is not None else settings.LANGUAGE_CODE
    posts = Post.objects.filter(slug=slug, language=language)
    # A post's old addresses still redirect: another post of the language may not take one.
    old = PostSlug.objects.filter(slug=slug, post__language=language)
    if exclude_post is not None and exclude_post.pk:
        posts = posts.exclude(pk=exclude_post.pk)
        old = old.exclude(post=exclude_post)
    return posts.exists() or old.exists()


def unique_slug(
    title: str, *, exclude_post: Post | None = None, language: str | None = None
) -> str:
    """A free slug derived from the title: `title`, `title-2`, `title-3`, …"""
    base = slugify(title, allow_unicode=False)[:190].strip("-") or "post"
    candidate, n = base, 1
    while slug_is_taken(candidate, exclude_post=exclude_post, language=language):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _apply(post: Post, content: PostContent) -> None:
    if len(content.body) > MAX_BODY_CHARS:
        raise ValidationError(
            {"body": f"The body is too long (over {MAX_BODY_CHARS:,} characters)."}
        )
    if not content.title.strip():
        raise ValidationError({"title": "A post needs a title."})
    post.title = content.title.strip()
    post.subtitle = content.subtitle.strip()
    post.excerpt = content.excerpt.strip()
    post.body = content.body
    post.body_html, headings = markdown_to_safe_html_with_toc(content.body)
    post.toc = [{"level": h.level, "id": h.id, "text": h.text} for h in headings]
    post.reading_minutes = reading_minutes(content.body)
    post.category = content.category
    post.cover_alt = content.cover_alt.strip()
    post.seo_title = content.seo_title.strip()
    post.seo_description = content.seo_description.strip()
    post.canonical_url = content.canonical_url.strip()
    post.featured = content.featured


def _check_slug(post: Post, wanted: str) -> str:
    slug = slugify(wanted) if wanted else unique_slug(post.title, exclude_post=post)
    if not slug:
        raise ValidationError({"slug": "Use letters, numbers and hyphens."})
    if slug_is_taken(slug, exclude_post=post):
        raise ValidationError(
            {
                "slug": _("The address “%(slug)s” is already used by another post in %(language)s.")
                % {"slug": slug, "language": language_name(post.language)}
            }
        )
    return slug


def language_name(code: str) -> str:
    """A language's name in the reader's language ("German", "Deutsch"…), or its code."""
    info = LANG_INFO.get(code, {})
    return str(_(info["name"])) if "name" in info else code


def latest_revision(post_id: int) -> Revision | None:
    """The post's newest revision (what its title and body are now), or None."""
    return Revision.objects.filter(post_id=post_id).order_by("-created_at", "-id").first()


def revision_time(revision: Revision | None) -> datetime | None:
    return revision.created_at if revision is not None else None


def _record_revision(post: Post, actor: User | None, note: str = "") -> Revision:
    return Revision.objects.create(
        post=post, author=actor, title=post.title, body=post.body, note=note[:200]
    )


@transaction.atomic
def create_post(
    *,
    author: User,
    title: str,
    body: str,
    excerpt: str = "",
    slug: str | None = None,
    category: Category | None = None,
    tags: Iterable[Tag] = (),
    status: str = Post.Status.DRAFT,
    published_at: datetime | None = None,
    featured: bool = False,
    language: str | None = None,
    translation_of: Post | None = None,
) -> Post:
    """Store a post as given (seeding and imports); publishing needs a date.

    `translation_of`: the post is a translation of that one (up to date with it as it is).
    """
    if status == Post.Status.PUBLISHED and published_at is None:
        published_at = timezone.now()
    post = Post(
        author=author,
        status=status,
        published_at=published_at,
        language=language or settings.LANGUAGE_CODE,
    )
    if translation_of is not None:
        post.translation_of = translation_of
        post.translated_at = revision_time(latest_revision(translation_of.pk))
    _apply(
        post,
        PostContent(title=title, body=body, excerpt=excerpt, category=category, featured=featured),
    )
    post.slug = _check_slug(post, slug or "")
    post.full_clean()
    post.save()
    post.tags.set(list(tags))
    _record_revision(post, author, "created")
    return post


@transaction.atomic
def start_post(*, actor: User, content: PostContent) -> Post:
    """Create a draft owned by the actor (authors and up)."""
    require(actor, "post.create")
    language = content.language or settings.LANGUAGE_CODE
    if language not in settings.SITE_LANGUAGES:
        raise ValidationError({"language": _("Choose one of the site’s languages.")})
    if actor.writes_languages and language not in actor.writes_languages:
        raise PermissionDenied(
            _("You may not write in %(language)s.") % {"language": language_name(language)}
        )
    post = Post(author=actor, status=Post.Status.DRAFT, language=language)
    _apply(post, content)
    post.slug = _check_slug(post, content.slug)
    post.full_clean()
    post.save()
    post.tags.set(content.tags)
    post.coauthors.set([u for u in content.coauthors if u.pk != actor.pk])
    _record_revision(post, actor, "created")
    return post


@transaction.atomic
def update_post(
    *,
    actor: User,
    post: Post,
    content: PostContent,
    based_on_version: int,
    autosave: bool = False,
    note: str = "",
) -> Post:
    """Save an edit made from `based_on_version`; refuse it if someone saved in between."""
    locked = Post.objects.select_for_update().get(pk=post.pk)
    require(actor, "post.edit", locked)
    if locked.version != based_on_version:
        raise EditConflictError(locked, based_on_version)
    old_slug, old_title, old_body = locked.slug, locked.title, locked.body
    shown_before = public_tags(locked)
    _apply(locked, content)
    new_slug = _check_slug(locked, content.slug or old_slug)
    if new_slug != old_slug:
        # Readers and search engines know a public post's old address: keep it as a
        # redirect (unless the language has it already: an old address of this post).
        known = PostSlug.objects.filter(slug=old_slug, post__language=locked.language)
        if locked.status in {Post.Status.PUBLISHED, Post.Status.ARCHIVED} and not known.exists():
            PostSlug.objects.create(slug=old_slug, post=locked)
        PostSlug.objects.filter(post=locked, slug=new_slug).delete()
        locked.slug = new_slug
    locked.version += 1
    locked.full_clean()
    locked.save()
    locked.tags.set(content.tags)
    locked.coauthors.set([u for u in content.coauthors if u.pk != locked.author_id])
    if locked.translation_of_id is not None and not autosave:
        # A translator's save brings the translation up to date with its source as it is
        # now: the "outdated" mark clears (apps.blog.services.translations).
        locked.translated_at = revision_time(latest_revision(locked.translation_of_id))
        Post.objects.filter(pk=locked.pk).update(translated_at=locked.translated_at)
    if (locked.title, locked.body) != (old_title, old_body):
        _record_revision(locked, actor, note or ("autosave" if autosave else ""))
    invalidate_post(locked, before=shown_before)
    if locked.status == Post.Status.PUBLISHED and not autosave:  # autosaves would flood
        post_event("post.updated", locked)
    return locked


def current_content(post: Post) -> PostContent:
    """The post's content as it stands: what the editor would send for no change at all."""
    return PostContent(
        title=post.title,
        body=post.body,
        slug=post.slug,
        subtitle=post.subtitle,
        excerpt=post.excerpt,
        category=post.category,
        tags=list(post.tags.all()),
        coauthors=list(post.coauthors.all()),
        cover_alt=post.cover_alt,
        seo_title=post.seo_title,
        seo_description=post.seo_description,
        canonical_url=post.canonical_url,
        featured=post.featured,
    )


def _revise(
    *,
    actor: User,
    post: Post,
    based_on_version: int,
    note: str,
    change: Callable[[PostContent], PostContent],
) -> Post:
    # The one path for edits made outside the editor: the post as it stands, one change,
    # saved by update_post like any edit (permission, conflict check, new version).
    return update_post(
        actor=actor,
        post=post,
        content=change(current_content(post)),
        based_on_version=based_on_version,
        note=note,
    )


@transaction.atomic
def restore_revision(*, actor: User, post: Post, revision: Revision, based_on_version: int) -> Post:
    """Make an earlier revision's title and body current again (itself a new revision)."""
    if revision.post_id != post.pk:
        raise ValidationError("That revision belongs to another post.")
    return _revise(
        actor=actor,
        post=post,
        based_on_version=based_on_version,
        note=f"restored the revision of {revision.created_at:%Y-%m-%d %H:%M}",
        change=lambda content: replace(content, title=revision.title, body=revision.body),
    )


@transaction.atomic
def set_post_category(
    *, actor: User, post: Post, category: Category | None, based_on_version: int
) -> Post:
    """Move a post to `category` (None: no category), everything else as it stands."""
    return _revise(
        actor=actor,
        post=post,
        based_on_version=based_on_version,
        note="",
        change=lambda content: replace(content, category=category),
    )


@transaction.atomic
def delete_post(*, actor: User, post: Post, with_translations: bool = False) -> None:
    """Delete a post for good (editors and admins).

    A source post's translations are deleted with it when `with_translations`; otherwise
    they stay, linked to each other (the oldest becomes their original).
    """
    require(actor, "post.delete", post)
    from apps.blog.services import translations  # it builds on this module

    if with_translations:
        translations.delete_translations(actor=actor, source=post)
    else:
        translations.detach_translations(source=post)
    shown_before = public_tags(post)
    was_public = bool(shown_before)
    if post.status == Post.Status.PUBLISHED:
        post_event("post.deleted", post)  # described now, sent after the commit
    if was_public:
        # Before the delete: a deleted post has no id left to read its tags and authors by.
        invalidate_post(post, before=shown_before, moved=True)
    post.delete()


def render_stored_bodies(*, batch: int = 200) -> int:
    """Render every post's stored HTML and contents again from its Markdown; how many changed.

    For when the renderer learns something (code highlighting, figure captions): stored
    bodies keep the HTML of the day they were saved until this runs. Revisions, versions
    and dates stay as they are; the pages of changed posts are invalidated.
    """
    changed = 0
    posts = Post.objects.only("pk", "body", "body_html", "toc").order_by("pk")
    for post in posts.iterator(chunk_size=batch):
        body_html, headings = markdown_to_safe_html_with_toc(post.body)
        toc = [{"level": h.level, "id": h.id, "text": h.text} for h in headings]
        if body_html == post.body_html and toc == post.toc:
            continue
        with transaction.atomic():
            Post.objects.filter(pk=post.pk).update(body_html=body_html, toc=toc)
            invalidate(post_tag(post.pk))
        changed += 1
    return changed
