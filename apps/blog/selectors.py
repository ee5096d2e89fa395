from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.apps import apps as django_apps
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.accounts.roles import Role
from apps.blog.content import PostContent
from apps.blog.diffs import DiffLine, Segment, line_diff, word_diff
from apps.blog.models import Category, Post, PostSlug, PreviewLink, Revision, Tag

TaxonomyT = TypeVar("TaxonomyT", Category, Tag)


def visible_until() -> datetime:
    """The end of the current minute: posts published up to then count as public.

    A query that carries `timezone.now()` is new to django-cachalot on every request, so
    each page wrote fresh cache entries that were never read again and Redis grew without
    bound under load. Rounding up to the minute keeps the SQL the same for a minute and
    never hides a post just published; only a published post dated less than a minute
    ahead (imports) shows that little early. Scheduled posts are not `published` until
    their task runs, so they are unaffected.
    """
    return timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)


def published_posts(language: str | None = None) -> QuerySet[Post]:
    """Posts a reader may see, newest first, with author, category and tags loaded.

    With `language`, only the posts in that language (the public pages pass the page's);
    without, every language's (the API filters by its own parameter).
    """
    posts = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lt=visible_until())
    if language is not None:
        posts = posts.filter(language=language)
    return (
        posts.select_related("author", "category")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by("-published_at", "-id")
    )


def featured_posts(limit: int = 3, language: str | None = None) -> QuerySet[Post]:
    """The newest featured posts, for the top of the home page."""
    return published_posts(language).filter(featured=True)[:limit]


def with_comment_counts(posts: QuerySet[Post]) -> QuerySet[Post]:
    """`posts`, each with `comment_count`: its published comments, counted in the same query.

    A correlated subquery rather than a JOIN and GROUP BY: listings filtered through tags
    would otherwise count a comment once per matching tag. The comments app sits above the
    blog (.importlinter), so its model is looked up by name rather than imported.
    """
    comment_model = django_apps.get_model("comments", "Comment")
    counted = (
        comment_model.objects.filter(
            post=OuterRef("pk"), status="published", deleted_at__isnull=True
        )
        .order_by()
        .values("post")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return posts.annotate(
        comment_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )


def published_post_by_slug(slug: str, language: str | None = None) -> Post | None:
    """The published post with this slug in `language` (co-authors loaded too), or None.

    Without `language`, the default language's (slugs are unique within a language).
    """
    language = language or settings.LANGUAGE_CODE
    return (
        published_posts(language)
        .prefetch_related("coauthors")
        .annotate(version_keys=_version_keys())
        .filter(slug=slug)
        .first()
    )


class _Joined(Aggregate):
    """The values of a text column joined with spaces (string_agg / SQLite's group_concat)."""

    function = "STRING_AGG"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def _version_keys() -> Subquery:
    """`language:slug` of each published version of the outer post, in the post's own row.

    So the post page learns its translations (hreflang, the switcher) in the query that
    loads the post: its query count is the same whatever the number of translations.
    """
    versions = (
        Post.objects.filter(
            status=Post.Status.PUBLISHED,
            published_at__lt=visible_until(),
            language__in=settings.SITE_LANGUAGES,
        )
        .filter(
            Q(pk=Coalesce(OuterRef("translation_of_id"), OuterRef("pk")))
            | Q(translation_of_id=Coalesce(OuterRef("translation_of_id"), OuterRef("pk")))
        )
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(
            keys=_Joined(
                Concat("language", Value(":"), "slug", output_field=CharField()), Value(" ")
            )
        )
        .values("keys")
    )
    return Subquery(versions, output_field=CharField())


@dataclass(frozen=True)
class Version:
    """One published language version of a post: where readers find it."""

    language: str
    slug: str
    title: str = ""

    @property
    def url(self) -> str:
        with override(self.language):
            return reverse("blog:post_detail", kwargs={"slug": self.slug})

    @property
    def language_name(self) -> str:
        """The language's name in itself ("Deutsch", "العربية")."""
        return str(LANG_INFO.get(self.language, {}).get("name_local", self.language))

    @property
    def bidi(self) -> bool:
        return bool(LANG_INFO.get(self.language, {}).get("bidi", False))


def published_versions(post: Post) -> list[Version]:
    """The published versions of `post` in the site's languages (itself included), one query.

    A post and its translations share a source (`Post.source_id`); the list is in the order
    of SITE_LANGUAGES, so hreflang links and the switcher read the same way on every page.
    A post loaded by `published_post_by_slug` carries them already (no query).
    """
    order = {code: i for i, code in enumerate(settings.SITE_LANGUAGES)}
    keys = getattr(post, "version_keys", None)
    if hasattr(post, "version_keys"):
        pairs = [key.split(":", 1) for key in (keys or "").split()]
        found = [Version(language, slug) for language, slug in pairs if language in order]
        return sorted(found, key=lambda v: order[v.language])
    root = post.source_id
    rows = (
        published_posts()
        .select_related(None)
        .prefetch_related(None)
        .filter(Q(pk=root) | Q(translation_of_id=root), language__in=settings.SITE_LANGUAGES)
        .order_by()
        .values_list("language", "slug", "title")
    )
    return sorted((Version(*row) for row in rows), key=lambda v: order[v.language])


def versions_by_source(posts: Sequence[Post]) -> dict[int, list[Version]]:
    """The published versions of each of `posts`' groups, by source id: one query for a list."""
    roots = {post.source_id for post in posts}
    if not roots:
        return {}
    rows = (
        published_posts()
        .select_related(None)
        .prefetch_related(None)
        .filter(Q(pk__in=roots) | Q(translation_of_id__in=roots))
        .filter(language__in=settings.SITE_LANGUAGES)
        .order_by()
        .values_list("pk", "translation_of_id", "language", "slug", "title")
    )
    order = {code: i for i, code in enumerate(settings.SITE_LANGUAGES)}
    found: dict[int, list[Version]] = {root: [] for root in roots}
    for pk, source, language, slug, title in rows:
        found[source or pk].append(Version(language, slug, title))
    for versions in found.values():
        versions.sort(key=lambda v: order[v.language])
    return found


def versions_of_missing(slug: str, language: str) -> list[Version]:
    """For a slug with no post in `language`: the published versions of the post it names
    in other languages (its own, then its translations'), for the 404's links. Two queries.
    """
    found = (
        published_posts()
        .select_related(None)
        .prefetch_related(None)
        .filter(slug=slug)
        .exclude(language=language)
        .only("pk", "translation_of_id")
        .first()
    )
    return [] if found is None else published_versions(found)


def by_any_slug(model: type[TaxonomyT], slug: str) -> TaxonomyT | None:
    """The category or tag with this slug in any of the site's languages (one query)."""
    match = Q(slug=slug)
    for language in settings.SITE_LANGUAGES:
        match |= Q(**{f"translations__{language}__slug": slug})
    return model.objects.filter(match).order_by("pk").first()


def adjacent_posts(post: Post) -> tuple[Post | None, Post | None]:
    """The published posts in its language just before and just after this one (one query)."""
    public = published_posts(post.language).prefetch_related(None).select_related(None)
    older = public.filter(published_at__lt=post.published_at).order_by("-published_at")
    newer = public.filter(published_at__gt=post.published_at).order_by("published_at")
    both = public.filter(Q(pk__in=older.values("pk")[:1]) | Q(pk__in=newer.values("pk")[:1])).only(
        "title", "slug", "published_at", "language"
    )
    before = after = None
    for other in both:
        if other.published_at is not None and post.published_at is not None:
            if other.published_at < post.published_at:
                before = other
            else:
                after = other
    return before, after


def navigation_categories(limit: int = 4) -> QuerySet[Category]:
    """The categories with the most published posts, for the site header."""
    return (
        Category.objects.filter(posts__status=Post.Status.PUBLISHED)
        .annotate(post_count=Count("posts"))
        .order_by("-post_count", "name")[:limit]
    )


def post_counts_by_status(author: User | None = None) -> dict[Post.Status, int]:
    """How many posts are in each status (every status present, zeros included), in one query.

    With `author`, only that author's posts are counted; without, the whole site's.
    """
    posts = Post.objects.all() if author is None else Post.objects.filter(author=author)
    found = dict(posts.order_by().values_list("status").annotate(total=Count("id")))
    return {status: found.get(status.value, 0) for status in Post.Status}


def current_slug_for(old_slug: str, language: str | None = None) -> str | None:
    """The current slug of the published post that used to be at `old_slug`, if any."""
    return (
        published_posts(language or settings.LANGUAGE_CODE)
        .filter(old_slugs__slug=old_slug)
        .values_list("slug", flat=True)
        .order_by()
        .first()
    )


def post_owners_by_slug(
    keys: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], tuple[int, int]]:
    """Post id and author id for each (language, slug) (current or former slug), any status.

    Slugs are unique per language only: a translation may share its original's slug.
    """
    wanted = set(keys)
    slugs = {slug for _language, slug in wanted}
    owners = {
        (language, slug): (pk, author_id)
        for language, slug, pk, author_id in Post.objects.filter(slug__in=slugs)
        .order_by()
        .values_list("language", "slug", "pk", "author_id")
        if (language, slug) in wanted
    }
    missing = {slug for language, slug in wanted if (language, slug) not in owners}
    if missing:
        old = PostSlug.objects.filter(slug__in=missing).order_by()
        for slug, language, pk, author_id in old.values_list(
            "slug", "post__language", "post_id", "post__author_id"
        ):
            if (language, slug) in wanted:
                owners.setdefault((language, slug), (pk, author_id))
    return owners


def post_is_by_author(post_id: int, author_id: int) -> bool:
    """Whether `author_id` wrote the post `post_id` (as its author)."""
    return Post.objects.filter(pk=post_id, author_id=author_id).exists()


def related_posts(post: Post, limit: int = 3) -> list[Post]:
    """Published posts sharing the most tags with `post`, newest first among equals."""
    tag_ids = [tag.pk for tag in post.tags.all()]
    if not tag_ids:
        return []
    return list(
        published_posts(post.language)
        .exclude(pk=post.pk)
        .filter(tags__in=tag_ids)
        .annotate(shared=Count("tags", filter=Q(tags__in=tag_ids)))
        .order_by("-shared", "-published_at")
        .prefetch_related(None)[:limit]
    )


def archive_months(language: str | None = None) -> list[tuple[int, int, int]]:
    """(year, month, number of posts) for every month with published posts, newest first."""
    rows = (
        published_posts(language)
        .prefetch_related(None)
        .select_related(None)
        .annotate(month=TruncMonth("published_at"))
        .values("month")
        .annotate(total=Count("id"))
        .order_by("-month")
    )
    return [(row["month"].year, row["month"].month, row["total"]) for row in rows]


def posts_in_month(year: int, month: int, language: str | None = None) -> QuerySet[Post]:
    """Published posts of one calendar month (in the site's time zone), newest first."""
    return published_posts(language).filter(published_at__year=year, published_at__month=month)


# --------------------------------------------------------------------------
# The dashboard: the posts table, revisions, categories and tags
# --------------------------------------------------------------------------

# Workflow order, so "sort by status" reads draft → in review → scheduled → published → archived.
_STATUS_RANK = Case(
    *(When(status=status.value, then=Value(rank)) for rank, status in enumerate(Post.Status)),
    default=Value(len(Post.Status)),
    output_field=IntegerField(),
)
_AUTHOR_NAME = Lower(Coalesce(NullIf("author__display_name", Value("")), "author__username"))

# sort key → ORDER BY for ascending; the descending order reverses every term.
DASHBOARD_POST_SORTS: dict[str, tuple[OrderBy, ...]] = {
    "title": (Lower("title").asc(), F("id").asc()),
    "status": (F("status_rank").asc(), F("id").asc()),
    "author": (F("author_name").asc(), F("id").asc()),
    "updated": (F("updated_at").asc(), F("id").asc()),
    # Posts without a date (drafts, in review) come last both ways.
    "published": (F("published_at").asc(nulls_last=True), F("id").asc()),
}


def _descending(term: OrderBy) -> OrderBy:
    return OrderBy(term.expression, descending=not term.descending, nulls_last=term.nulls_last)


def sees_every_post(viewer: User) -> bool:
    """True for those who review others' work (editors, admins): they list every post."""
    return can(viewer, "post.review")


def dashboard_posts(
    *,
    viewer: User,
    everyone: bool = True,
    status: str = "",
    author: User | None = None,
    category: Category | None = None,
    tag: Tag | None = None,
    search: str = "",
    sort: str = "-updated",
) -> QuerySet[Post]:
    """Posts for the dashboard table, filtered and sorted, with author, category and tags loaded.

    `everyone` lists every post for editors; everyone else (and `everyone=False`)
    gets only the posts they wrote or co-author. `sort` is a DASHBOARD_POST_SORTS
    key, prefixed with "-" for descending; unknown keys fall back to "-updated".
    """
    posts = Post.objects.all()
    if not (everyone and sees_every_post(viewer)):
        coauthored = Post.coauthors.through.objects.filter(user_id=viewer.pk).values("post_id")
        posts = posts.filter(Q(author_id=viewer.pk) | Q(pk__in=coauthored))
    if status:
        posts = posts.filter(status=status)
    if author is not None:
        posts = posts.filter(author=author)
    if category is not None:
        posts = posts.filter(category=category)
    if tag is not None:
        posts = posts.filter(pk__in=Post.tags.through.objects.filter(tag=tag).values("post_id"))
    if search:
        posts = posts.filter(title__icontains=search)
    key = sort.removeprefix("-")
    terms = DASHBOARD_POST_SORTS.get(key) or DASHBOARD_POST_SORTS["updated"]
    if key not in DASHBOARD_POST_SORTS or sort.startswith("-"):
        terms = tuple(_descending(term) for term in terms)
    if key == "status":
        posts = posts.annotate(status_rank=_STATUS_RANK)
    elif key == "author":
        posts = posts.annotate(author_name=_AUTHOR_NAME)
    return (
        posts.select_related("author", "category")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        # A table row never shows the text; `.defer(None)` brings it back for edits.
        .defer("body", "body_html", "toc")
        .order_by(*terms)
    )


def post_authors() -> QuerySet[User]:
    """Everyone who has written a post, by name (the dashboard's author filter)."""
    return User.objects.filter(pk__in=Post.objects.values("author_id")).order_by(
        Lower(Coalesce(NullIf("display_name", Value("")), "username"))
    )


def coauthor_candidates() -> QuerySet[User]:
    """Active people who may write (authors, editors, admins), by name."""
    writers = Q(groups__name__in=[Role.AUTHOR.value, Role.EDITOR.value, Role.ADMIN.value])
    ids = User.objects.filter(writers | Q(is_superuser=True)).values("pk")
    return User.objects.filter(is_active=True, pk__in=ids).order_by("display_name", "username")


def post_revisions(post: Post) -> QuerySet[Revision]:
    """A post's revisions, newest first, with who saved each; bodies left out (load on demand)."""
    return (
        Revision.objects.filter(post=post)
        .select_related("author")
        .defer("body")
        .order_by("-created_at", "-id")
    )


def categories_with_post_counts() -> QuerySet[Category]:
    """Every category by name, each with `post_count` (posts of any status)."""
    return Category.objects.annotate(post_count=Count("posts")).order_by("name")


def tags_with_post_counts(search: str = "") -> QuerySet[Tag]:
    """Every tag by name (or those whose name contains `search`), each with `post_count`."""
    tags = Tag.objects.annotate(post_count=Count("posts")).order_by("name")
    if search:
        tags = tags.filter(name__icontains=search)
    return tags


def active_preview_links(post: Post) -> QuerySet[PreviewLink]:
    """The post's preview links that still work, newest first, with who made each."""
    return (
        PreviewLink.objects.filter(
            post=post, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("created_by")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class RevisionDiff:
    """Two revisions compared: the title word by word, the body line by line."""

    title: tuple[tuple[Segment, ...], tuple[Segment, ...]]
    body: list[DiffLine]


def revision_diff(*, older: Revision, newer: Revision) -> RevisionDiff:
    """What changed from `older` to `newer` (both loaded with their bodies)."""
    return RevisionDiff(word_diff(older.title, newer.title), line_diff(older.body, newer.body))


@dataclass(frozen=True)
class FieldDifference:
    """One field where a saved post and an unsaved edit differ; `lines` for long texts."""

    label: str
    theirs: str
    yours: str
    lines: list[DiffLine]


# (field, label, compared line by line)
_COMPARED_FIELDS = (
    ("title", "Title", False),
    ("subtitle", "Subtitle", False),
    ("slug", "Address", False),
    ("excerpt", "Excerpt", True),
    ("body", "Body", True),
    ("cover_alt", "Cover description", False),
    ("seo_title", "Search title", False),
    ("seo_description", "Search description", True),
    ("canonical_url", "Canonical URL", False),
)


def post_differences(
    *, post: Post, content: PostContent, new_tag_names: Sequence[str] = ()
) -> list[FieldDifference]:
    """The fields where the saved `post` and an edit of it differ (the conflict notice)."""
    rows = []
    for name, label, multiline in _COMPARED_FIELDS:
        theirs = str(getattr(post, name) or "")
        yours = str(getattr(content, name) or "")
        if name == "slug" and not yours:
            yours = theirs  # an empty address follows the title: not a difference
        if theirs.strip() == yours.strip():
            continue
        lines = line_diff(theirs, yours, context=None) if multiline else []
        rows.append(FieldDifference(label, theirs, yours, lines))
    their_tags = sorted(tag.name for tag in post.tags.all())
    your_tags = sorted([tag.name for tag in content.tags] + list(new_tag_names))
    if their_tags != your_tags:
        rows.append(FieldDifference("Tags", ", ".join(their_tags), ", ".join(your_tags), []))
    if post.category_id != (content.category.pk if content.category else None):
        rows.append(
            FieldDifference(
                "Category", str(post.category or "None"), str(content.category or "None"), []
            )
        )
    return rows
