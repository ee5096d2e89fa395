"""Saving from the post editor: new tags, the address policy and the cover, in one transaction.

The editor sends explicit saves and autosaves. An autosave only keeps the text safe:
it creates no tags, leaves the cover alone and never moves a public address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import slugify

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.content import PostContent
from apps.blog.models import Post, Tag
from apps.blog.services.media import set_post_cover
from apps.blog.services.posts import (
    slug_is_taken,
    start_post,
    unique_slug,
    update_post,
)
from apps.blog.services.taxonomy import save_tag

PUBLIC_STATUSES = frozenset({Post.Status.PUBLISHED, Post.Status.ARCHIVED})


def has_public_address(post: Post | None) -> bool:
    """Readers (and search engines) have seen this post at its address."""
    return bool(post and post.status in PUBLIC_STATUSES)


def slug_follows_title(post: Post) -> bool:
    """An unpublished post whose address was made from its title keeps following it."""
    if has_public_address(post):
        return False
    base = slugify(post.title)[:190].strip("-") or "post"
    return post.slug == base or bool(re.fullmatch(re.escape(base) + r"-\d+", post.slug))


def editor_slug(
    *, post: Post | None, wanted: str, title: str, autosave: bool, language: str = ""
) -> tuple[str, str]:
    """The address to save, and a note when an autosave could not use the one asked for.

    An empty field follows the title until the post is public. Changing a public address
    leaves a redirect behind, so autosaves never do it; and a taken address never stops
    an autosave from saving the text (an explicit save reports it on the field instead).
    """
    if post is not None and has_public_address(post) and (autosave or not wanted):
        changed = wanted not in ("", post.slug)
        return post.slug, "the new address is applied when you press Save" if changed else ""
    in_language = post.language if post is not None else (language or None)
    if not wanted:
        return unique_slug(title, exclude_post=post, language=in_language), ""
    if autosave and slug_is_taken(wanted, exclude_post=post, language=in_language):
        kept = post.slug if post else unique_slug(title, language=in_language)
        return (
            kept,
            f"the address “{wanted}” belongs to another post, so this one stays at “{kept}”",
        )
    return wanted, ""


def _tags_named(actor: User, names: Sequence[str]) -> list[Tag]:
    # Names that already exist (by slug) are reused; the rest are created by save_tag,
    # which refuses people who may not manage tags.
    found = {tag.slug: tag for tag in Tag.objects.filter(slug__in=[slugify(n) for n in names])}
    return [found.get(slugify(name)) or save_tag(actor=actor, name=name) for name in names]


@dataclass(frozen=True)
class DraftSave:
    """What a save from the editor did: the post, whether it is new, and any address note."""

    post: Post
    created: bool
    slug_note: str = ""


@transaction.atomic
def save_post_draft(
    *,
    actor: User,
    post: Post | None,
    content: PostContent,
    based_on_version: int = 1,
    new_tag_names: Sequence[str] = (),
    cover: UploadedFile | None = None,
    remove_cover: bool = False,
    autosave: bool = False,
) -> DraftSave:
    """Start (`post=None`) or update a post from the editor; a refused save leaves nothing.

    `based_on_version` is the version the edit started from (EditConflictError if someone
    saved since). Explicit saves also create `new_tag_names` and set or remove the cover.
    What the actor may not change (featuring) keeps its current value.
    """
    slug, note = editor_slug(
        post=post,
        wanted=content.slug,
        title=content.title,
        autosave=autosave,
        language=content.language,
    )
    featured = content.featured if can(actor, "post.publish") else bool(post and post.featured)
    tags = list(content.tags)
    if new_tag_names and not autosave:
        known = {tag.pk for tag in tags}
        tags += [tag for tag in _tags_named(actor, new_tag_names) if tag.pk not in known]
    content = replace(content, slug=slug, featured=featured, tags=tags)
    if post is None:
        saved = start_post(actor=actor, content=content)
    else:
        saved = update_post(
            actor=actor,
            post=post,
            content=content,
            based_on_version=based_on_version,
            autosave=autosave,
        )
    if not autosave and (cover is not None or remove_cover):
        saved = set_post_cover(actor=actor, post=saved, upload=cover, alt=content.cover_alt)
    return DraftSave(saved, created=post is None, slug_note=note)
