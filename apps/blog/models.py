from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.placeholders import former_author


def default_language() -> str:
    """The site's default language: the first of SITE_LANGUAGES."""
    return str(settings.LANGUAGE_CODE)


class Translated(models.Model):
    """A name and slug per language, kept on the row itself: showing them costs no query.

    `translations` is {"de": {"name": "Technik", "slug": "technik", "description": "…"}, …};
    a language without an entry shows the default language's name and slug.
    """

    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def _local(self, field: str, language: str | None = None) -> str:
        entry = self.translations.get(language or get_language() or "") or {}
        return str(entry.get(field) or getattr(self, field))

    @property
    def local_name(self) -> str:
        return self._local("name")

    @property
    def local_slug(self) -> str:
        return self._local("slug")

    @property
    def local_description(self) -> str:
        return self._local("description")


class Category(Translated):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:category_detail", kwargs={"slug": self.local_slug})


class Tag(Translated):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:tag_detail", kwargs={"slug": self.local_slug})


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(max_length=200)
    # Unique within a language (the constraint below): a translation may keep its source's.
    slug = models.SlugField(max_length=200)
    # One of SITE_LANGUAGES (checked by the services: the setting can change, rows stay).
    language = models.CharField(_("language"), max_length=12, default=default_language)
    # A translation points at its source (always the original, never another translation);
    # the source and its translations are the post's versions in the site's languages.
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
    )
    # When the source's revision this translation was last brought up to date with was
    # made: a newer source revision marks the translation outdated, and the diff between
    # the two is what the translator has to carry over. A time, not a key to the revision:
    # site exports load posts before revisions (apps.transfer.exporting.registry).
    translated_at = models.DateTimeField(null=True, blank=True, editable=False)
    subtitle = models.CharField(max_length=200, blank=True)
    excerpt = models.CharField(max_length=400, blank=True)
    body = models.TextField(help_text=_("Markdown."))
    # Rendered and sanitised by the service that saves the body, never by templates.
    body_html = models.TextField(editable=False, default="")
    # [{"level": 2, "id": "why", "text": "Why"}, …]: the h2/h3 headings, for the contents box.
    toc = models.JSONField(default=list, editable=False)
    # A deleted account's posts stay online under the shared "Former author".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET(former_author), related_name="posts"
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    coauthors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="coauthored_posts"
    )
    cover_image = models.ImageField(upload_to="covers/%Y/%m/", blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=200, blank=True)
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)
    canonical_url = models.URLField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    featured = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # When set on a published post, the post is archived at that time.
    unpublish_at = models.DateTimeField(null=True, blank=True)
    # The editor's note when a post is sent back to draft; shown to the author.
    review_note = models.TextField(blank=True)
    # Editors close a post's comments: existing ones stay visible, new ones are refused.
    comments_open = models.BooleanField(default=True)
    # Optimistic locking: every save bumps it; a save based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-published_at", "-id")
        permissions = (
            ("review_post", "Can review posts and send them back to draft"),
            ("publish_post", "Can schedule, publish and archive posts"),
            ("edit_any_post", "Can edit any author's post"),
        )
        indexes: ClassVar = [
            models.Index(fields=["status", "-published_at"], name="blog_post_status_pub_idx"),
            models.Index(
                fields=["language", "status", "-published_at"], name="blog_post_lang_pub_idx"
            ),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["language", "slug"],
                name="blog_post_language_slug_unique",
                violation_error_message=_("Another post in this language has this address."),
            ),
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                name="blog_post_one_translation_per_language",
                violation_error_message=_("This post already has a translation in that language."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="blog_post_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        with override(self.language):
            return reverse("blog:post_detail", kwargs={"slug": self.slug})

    @property
    def source_id(self) -> int:
        """The id of the post this one is a version of: its source's, or its own."""
        return self.translation_of_id or self.pk

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and bool(
            self.published_at and self.published_at <= timezone.now()
        )

    @property
    def meta_title(self) -> str:
        return self.seo_title or self.title

    @property
    def meta_description(self) -> str:
        return self.seo_description or self.excerpt or self.subtitle

    @property
    def authors_list(self) -> list[User]:
        """The author, then the co-authors (load them with prefetch_related("coauthors"))."""
        return [self.author, *self.coauthors.all()]


class PostSlug(models.Model):
    """A slug the post used to have: its old URLs answer with a 301 to the current one.

    Unique within the post's language, as current slugs are (the services keep it so: a
    slug in use, now or before, by a post of the language is never given to another): a
    translation that shared its original's slug keeps its own old address when both move.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.slug


class Revision(models.Model):
    """The title and body as saved at one moment, by one person."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"


class PreviewLink(models.Model):
    """A signed, expiring, revocable link that shows an unpublished post to anyone holding it."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="preview_links")
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Preview of {self.post_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PostImage(models.Model):
    """An image uploaded into a post's body, with resized renditions (EXIF stripped)."""

    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    original = models.ImageField(upload_to="images/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # {"640": "images/2026/11/abc-640.webp", ...}: width → storage name.
    renditions = models.JSONField(default=dict)
    alt = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return str(self.original.name)
