"""Translations of posts: each one a post in one language, linked to its source.

A translation is a post like any other (its own slug, title, body, SEO fields, review state
and schedule) with `translation_of` pointing at its source, which is always the original
(a translation of a translation is linked to the original). `translated_at` is when the
source's revision it was last brought up to date with was made: when the source gets a newer
revision the translation is *outdated*, and the diff between the two revisions is what the
translator has to carry over. Saving the translation (not an autosave) clears the mark.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.blog.models import Post, Revision
from apps.blog.selectors import RevisionDiff, revision_diff
from apps.blog.services.pages import invalidate_post, public_tags
from apps.blog.services.posts import (
    _check_slug,
    _record_revision,
    language_name,
    latest_revision,
    revision_time,
    slug_is_taken,
)
from apps.core.pagecache import invalidate


def may_write_in(user: User, language: str) -> bool:
    """Authors restricted to some languages (`User.writes_languages`) write only in those."""
    allowed = list(user.writes_languages or [])
    return not allowed or language in allowed


def check_language(language: str) -> None:
    if language not in settings.SITE_LANGUAGES:
        raise ValidationError(
            {
                "language": _("This site does not publish in “%(language)s”.")
                % {"language": language_name(language)}
            }
        )


@transaction.atomic
def create_translation(*, actor: User, source: Post, language: str) -> Post:
    """Start a draft translation of `source` into `language`, owned by `actor`.

    The draft starts as a copy of the source (title, texts, category, tags, SEO fields), so
    the translator replaces text rather than retyping structure; its slug is the source's
    when that is free in the language.
    """
    require(actor, "post.create")
    source = Post.objects.select_for_update().get(pk=source.source_id)
    check_language(language)
    if not may_write_in(actor, language):
        raise PermissionDenied(
            _("You may not write in %(language)s.") % {"language": language_name(language)}
        )
    if language == source.language:
        raise ValidationError(
            {
                "language": _("The original is already in %(language)s.")
                % {"language": language_name(language)}
            }
        )
    if Post.objects.filter(translation_of=source, language=language).exists():
        raise ValidationError(
            {
                "language": _("This post already has a translation in %(language)s.")
                % {"language": language_name(language)}
            }
        )
    translation = Post(
        author=actor,
        status=Post.Status.DRAFT,
        language=language,
        translation_of=source,
        translated_at=revision_time(latest_revision(source.pk)),
        title=source.title,
        subtitle=source.subtitle,
        excerpt=source.excerpt,
        body=source.body,
        body_html=source.body_html,
        toc=source.toc,
        reading_minutes=source.reading_minutes,
        category=source.category,
        cover_image=source.cover_image,
        cover_alt=source.cover_alt,
        seo_title=source.seo_title,
        seo_description=source.seo_description,
    )
    wanted = source.slug if not slug_is_taken(source.slug, language=language) else ""
    translation.slug = _check_slug(translation, wanted)
    try:
        with transaction.atomic():
            translation.save()
    except IntegrityError as error:  # someone created the same translation just now
        raise ValidationError(
            {
                "language": _("This post already has a translation in %(language)s.")
                % {"language": language_name(language)}
            }
        ) from error
    translation.tags.set(source.tags.all())
    _record_revision(translation, actor, "translation started")
    return translation


@dataclass(frozen=True)
class TranslationRow:
    """One of the site's languages for a post: its version there, if any, and its state."""

    language: str
    name: str
    post: Post | None
    is_source: bool
    outdated: bool

    @property
    def state(self) -> str:
        if self.post is None:
            return "missing"
        return str(self.post.status)


def translation_table(post: Post) -> list[TranslationRow]:
    """The post's versions in every site language (missing ones too), in two queries."""
    source_id = post.source_id
    versions = {
        version.language: version
        for version in Post.objects.filter(Q(pk=source_id) | Q(translation_of_id=source_id))
    }
    latest = latest_revision(source_id)
    rows = []
    languages = list(settings.SITE_LANGUAGES)
    languages += [code for code in versions if code not in languages]  # a removed language
    for language in languages:
        version = versions.get(language)
        is_source = version is not None and version.pk == source_id
        outdated = not is_source and version is not None and _behind(version, latest)
        rows.append(
            TranslationRow(
                language=language,
                name=language_name(language),
                post=version,
                is_source=is_source,
                outdated=outdated,
            )
        )
    return rows


def _behind(translation: Post, latest: Revision | None) -> bool:
    if latest is None:
        return False
    return translation.translated_at is None or latest.created_at > translation.translated_at


def is_outdated(translation: Post) -> bool:
    """Whether the source has a newer revision than the one the translation follows."""
    if translation.translation_of_id is None:
        return False
    return _behind(translation, latest_revision(translation.translation_of_id))


def changes_since_translated(translation: Post) -> RevisionDiff | None:
    """What changed in the source since the translation was last brought up to date."""
    if translation.translation_of_id is None:
        return None
    latest = latest_revision(translation.translation_of_id)
    if latest is None or not _behind(translation, latest):
        return None
    followed = None
    if translation.translated_at is not None:
        followed = (
            Revision.objects.filter(
                post_id=translation.translation_of_id, created_at__lte=translation.translated_at
            )
            .order_by("-created_at", "-id")
            .first()
        )
    return revision_diff(older=followed or Revision(title="", body=""), newer=latest)


@transaction.atomic
def mark_translation_current(*, actor: User, translation: Post) -> Post:
    """The translator checked the source's changes: the translation follows it as it is now."""
    require(actor, "post.edit", translation)
    if translation.translation_of_id is None:
        raise ValidationError(_("This post is not a translation."))
    translation.translated_at = revision_time(latest_revision(translation.translation_of_id))
    Post.objects.filter(pk=translation.pk).update(translated_at=translation.translated_at)
    return translation


@transaction.atomic
def detach_translations(*, source: Post) -> Post | None:
    """Before the source is deleted: its oldest translation becomes the original of the rest.

    Returns the new original (None when there were no translations). Their pages' language
    links change, so the versions' pages are invalidated.
    """
    translations = list(Post.objects.filter(translation_of=source).order_by("created_at", "pk"))
    if not translations:
        return None
    heir, others = translations[0], translations[1:]
    shown = [public_tags(p) for p in translations]
    Post.objects.filter(pk=heir.pk).update(translation_of=None, translated_at=None)
    Post.objects.filter(pk__in=[p.pk for p in others]).update(translation_of=heir)
    heir.translation_of = None
    for post, before in zip(translations, shown, strict=True):
        invalidate_post(post, before=before)
    return heir


@transaction.atomic
def delete_translations(*, actor: User, source: Post) -> int:
    """Delete every translation of `source` (when its source is deleted with them)."""
    count = 0
    for translation in Post.objects.filter(translation_of=source):
        require(actor, "post.delete", translation)
        before = public_tags(translation)
        if before:
            invalidate(*before)
        translation.delete()
        count += 1
    return count
