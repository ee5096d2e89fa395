from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, override
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from apps.accounts.models import User
from apps.accounts.pages import profile_tag
from apps.blog import cards, pages, selectors
from apps.blog.models import Category, Post, Tag
from apps.blog.search import search_page
from apps.blog.services import post_for_preview
from apps.comments import selectors as comment_selectors
from apps.comments.forms import CommentForm
from apps.core.htmx import HtmxRequest, render_page_or_partial
from apps.core.languages import set_alternates, site_languages
from apps.core.pagecache import cached_for_readers, depend_on


def _paginate(queryset: QuerySet[Post], number: str | None) -> Page[Post]:
    paginator = Paginator(queryset, settings.POSTS_PER_PAGE)
    return paginator.get_page(number)


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def home(request: HtmxRequest) -> HttpResponse:
    # Featured posts sit above the list on the first page, so the list leaves them out (on
    # every page, or paging would show some posts twice and skip others).
    language = get_language()
    featured = list(selectors.with_comment_counts(selectors.featured_posts(language=language)))
    latest = selectors.published_posts(language).exclude(pk__in=[post.pk for post in featured])
    page = _paginate(selectors.with_comment_counts(latest), request.GET.get("page"))
    if page.number != 1:
        featured = []
    depend_on(request, pages.POSTS, *pages.card_tags(page), *pages.card_tags(featured))
    return render_page_or_partial(
        request, "blog/home.html", "post-list", {"page": page, "featured": featured}
    )


def _listing(
    request: HtmxRequest, *, heading: str, description: str, posts: QuerySet[Post], kind: str
) -> HttpResponse:
    page = _paginate(selectors.with_comment_counts(posts), request.GET.get("page"))
    depend_on(request, *pages.card_tags(page))
    return render_page_or_partial(
        request,
        "blog/post_list.html",
        "post-list",
        {"page": page, "heading": heading, "description": description, "kind": kind},
    )


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def category_detail(request: HtmxRequest, slug: str) -> HttpResponse:
    category = selectors.by_any_slug(Category, slug)
    if category is None:
        raise Http404("No such category.")
    if category.local_slug != slug:  # another language's slug: this language's address
        return redirect(category.get_absolute_url(), permanent=True)
    depend_on(request, pages.category_tag(category.pk), pages.category_posts_tag(category.pk))
    _taxonomy_alternates(request, category)
    posts = selectors.published_posts(get_language()).filter(category=category)
    return _listing(
        request,
        heading=category.local_name,
        description=category.local_description,
        posts=posts,
        kind="Category",
    )


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def tag_detail(request: HtmxRequest, slug: str) -> HttpResponse:
    tag = selectors.by_any_slug(Tag, slug)
    if tag is None:
        raise Http404("No such tag.")
    if tag.local_slug != slug:  # another language's slug: this language's address
        return redirect(tag.get_absolute_url(), permanent=True)
    depend_on(request, pages.tag_tag(tag.pk), pages.tag_posts_tag(tag.pk))
    _taxonomy_alternates(request, tag)
    posts = selectors.published_posts(get_language()).filter(tags=tag)
    return _listing(
        request,
        heading=f"#{tag.local_name}",
        description=tag.local_description,
        posts=posts,
        kind="Tag",
    )


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def author_detail(request: HtmxRequest, username: str) -> HttpResponse:
    # Deactivated accounts have no page; the inactive "former-author" placeholder
    # (apps.accounts.profile.services) does: deleted accounts' posts link to it.
    authors = (
        User.objects.all() if username == "former-author" else User.objects.filter(is_active=True)
    )
    author = get_object_or_404(authors, username=username)
    page = _paginate(
        selectors.with_comment_counts(
            selectors.published_posts(get_language()).filter(author=author)
        ),
        request.GET.get("page"),
    )
    depend_on(
        request,
        profile_tag(author.pk),
        pages.author_posts_tag(author.pk),
        *pages.card_tags(page),
    )
    return render_page_or_partial(
        request, "blog/author_detail.html", "post-list", {"author": author, "page": page}
    )


def _post_page_tags(
    post: Post, neighbours: list[Post], related: list[Post], commenter_ids: set[int]
) -> list[str]:
    """What a post page shows: the post, its people and taxonomy, its links and comments."""
    return [
        pages.post_tag(post.pk),
        pages.adjacent_tag(post.pk),
        pages.comments_tag(post.pk),
        *[profile_tag(user.pk) for user in post.coauthors.all()],
        *[pages.tag_posts_tag(tag.pk) for tag in post.tags.all()],  # the related posts
        *pages.card_tags([post]),
        *[pages.post_tag(other.pk) for other in [*neighbours, *related]],
        *[profile_tag(user_id) for user_id in commenter_ids],
    ]


def _comments_cursor(request: HtmxRequest) -> int | None:
    # `?comments_cursor=` is the no-JavaScript "Load more comments" link; a mangled one
    # shows the first page rather than an error.
    try:
        return comment_selectors.parse_cursor(request.GET.get("comments_cursor"))
    except ValueError:
        return None


def _taxonomy_alternates(request: HtmxRequest, item: Category | Tag) -> None:
    urls = {}
    for language in settings.SITE_LANGUAGES:
        with override(language):
            urls[language] = item.get_absolute_url()
    set_alternates(request, urls)


def _missing_translation(request: HtmxRequest, slug: str, language: str) -> HttpResponse:
    """A post address with no post in this language: a 404 that names the languages it is in."""
    versions = selectors.versions_of_missing(slug, language)
    if not versions:
        raise Http404("No such post.")
    names = {item.code: item for item in site_languages()}
    links = [(names[v.language], v) for v in versions if v.language in names]
    return render(request, "blog/post_missing_translation.html", {"links": links}, status=404)


@require_safe
@cached_for_readers
def post_detail(request: HtmxRequest, slug: str) -> HttpResponse:
    language = get_language()
    post = selectors.published_post_by_slug(slug, language)
    if post is None:
        if current := selectors.current_slug_for(slug, language):
            # The post was renamed: send readers and search engines to its address now.
            return redirect("blog:post_detail", slug=current, permanent=True)
        return _missing_translation(request, slug, language)
    versions = selectors.published_versions(post)
    set_alternates(request, {version.language: version.url for version in versions})
    older, newer = selectors.adjacent_posts(post)
    comments = comment_selectors.post_page_threads(
        post=post,
        viewer=request.user,
        order=comment_selectors.parse_order(request.GET.get("comments")),
        cursor=_comments_cursor(request),
    )
    related = selectors.related_posts(post)
    neighbours = [p for p in (older, newer) if p is not None]
    depend_on(request, *_post_page_tags(post, neighbours, related, comments.author_ids))
    depend_on(request, pages.versions_tag(post.source_id))
    context = {
        "post": post,
        "versions": versions,
        "older": older,
        "newer": newer,
        "related": related,
        "comment_page": comments,
        "comment_count": comments.total,
        "comment_signature": comment_selectors.page_signature(comments),
        "comment_gate": comment_selectors.commenting_gate(viewer=request.user, post=post),
        "comment_form": CommentForm(),
    }
    return render(request, "blog/post_detail.html", context)


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def search(request: HtmxRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    found = search_page(query, request.GET.get("page"), get_language()) if query else None
    page = found.page if found is not None else None
    depend_on(request, pages.POSTS, *pages.card_tags(page or []))
    context = {
        "query": query,
        "page": page,
        "hits": found.hits if found is not None else [],
        "total": found.total if found is not None else 0,
        "more": found.more if found is not None else False,
    }
    return render_page_or_partial(request, "blog/search.html", "results", context)


@require_safe
@cached_for_readers
def archive_index(request: HtmxRequest) -> HttpResponse:
    depend_on(request, pages.POSTS)
    months = [
        {"year": year, "month": month, "label": date(year, month, 1).strftime("%B"), "total": total}
        for year, month, total in selectors.archive_months(get_language())
    ]
    return render(request, "blog/archive_index.html", {"months": months})


@require_safe
@vary_on_headers("HX-Request")
@cached_for_readers
def archive_month(request: HtmxRequest, year: int, month: int) -> HttpResponse:
    # The URL accepts any digits; a year outside the calendar's range would overflow
    # date() here and the database's integer in the query.
    if not (1 <= month <= 12 and MINYEAR <= year <= MAXYEAR):
        raise Http404("No such month.")
    depend_on(request, pages.POSTS)
    posts = selectors.with_comment_counts(selectors.posts_in_month(year, month, get_language()))
    page = _paginate(posts, request.GET.get("page"))
    depend_on(request, *[pages.comments_tag(post.pk) for post in page])  # the cards' counts
    title = date(year, month, 1).strftime("%B %Y")
    return render_page_or_partial(
        request,
        "blog/post_list.html",
        "post-list",
        {"page": page, "heading": title, "description": "", "kind": "Archive"},
    )


@require_safe
def preview(request: HtmxRequest, token: str) -> HttpResponse:
    post = post_for_preview(token)
    if post is None:
        response = render(request, "blog/preview_invalid.html", status=404)
    else:
        response = render(request, "blog/post_detail.html", {"post": post, "preview": True})
    # Previews are for the people the link was shared with, not for search engines or caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def social_card(request: HtmxRequest, slug: str, digest: str) -> HttpResponseBase:
    """The post's social card (apps.blog.cards): drawn once, then served from storage.

    The URL names what the card shows, so the answer never changes and caches keep it for a
    year; an old URL (the title changed since) redirects to the current card.
    """
    post = selectors.published_post_by_slug(slug, get_language())
    if post is None:
        raise Http404("No such post.")
    current = cards.card_digest(post)
    if digest != current:
        return redirect("blog:social_card", slug=post.slug, digest=current, permanent=True)
    response = FileResponse(default_storage.open(cards.social_card(post)), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
