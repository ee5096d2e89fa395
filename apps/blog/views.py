from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from apps.accounts.models import User
from apps.blog import selectors
from apps.blog.models import Category, Post, Tag
from apps.core.htmx import render_page_or_partial


def _paginate(queryset: QuerySet[Post], number: str | None) -> Page[Post]:
    paginator = Paginator(queryset, settings.POSTS_PER_PAGE)
    return paginator.get_page(number)


@require_GET
@vary_on_headers("HX-Request")
def home(request: HttpRequest) -> HttpResponse:
    page = _paginate(selectors.published_posts(), request.GET.get("page"))
    featured = list(selectors.featured_posts()) if page.number == 1 else []
    return render_page_or_partial(
        request, "blog/home.html", "post-list", {"page": page, "featured": featured}
    )


def _listing(
    request: HttpRequest, *, heading: str, description: str, posts: QuerySet[Post], kind: str
) -> HttpResponse:
    page = _paginate(posts, request.GET.get("page"))
    return render_page_or_partial(
        request,
        "blog/post_list.html",
        "post-list",
        {"page": page, "heading": heading, "description": description, "kind": kind},
    )


@require_GET
@vary_on_headers("HX-Request")
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    posts = selectors.published_posts().filter(category=category)
    return _listing(
        request,
        heading=category.name,
        description=category.description,
        posts=posts,
        kind="Category",
    )


@require_GET
@vary_on_headers("HX-Request")
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    posts = selectors.published_posts().filter(tags=tag)
    return _listing(
        request, heading=f"#{tag.name}", description=tag.description, posts=posts, kind="Tag"
    )


@require_GET
@vary_on_headers("HX-Request")
def author_detail(request: HttpRequest, username: str) -> HttpResponse:
    author = get_object_or_404(User, username=username, is_active=True)
    posts = selectors.published_posts().filter(author=author)
    return _listing(
        request, heading=author.name, description=author.bio, posts=posts, kind="Author"
    )


@require_GET
def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.published_post_by_slug(slug)
    if post is None:
        raise Http404("No such post.")
    older, newer = selectors.adjacent_posts(post)
    return render(request, "blog/post_detail.html", {"post": post, "older": older, "newer": newer})
