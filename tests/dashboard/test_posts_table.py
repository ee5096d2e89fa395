"""The posts table: who sees what, filters, sorting, pages, and the query budget."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post
from tests.dashboard.conftest import _post, _row
from tests.factories.blog import CategoryFactory, TagFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
POSTS = reverse("dashboard:posts")
S = Post.Status


# --------------------------------------------------------------------------
# Access and the page itself
# --------------------------------------------------------------------------


def test_posts_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(POSTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_posts_page_is_forbidden_to_readers(client, login_as):
    login_as(Role.READER)
    assert client.get(POSTS).status_code == 403


def test_posts_page_full_and_htmx_partial(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), title="Field notes")
    full = client.get(POSTS)
    html = full.content.decode()
    assert full.status_code == 200
    assert "<html" in html
    assert 'id="post-filters"' in html
    assert "Field notes" in html
    assert f'href="{POSTS}"' in html
    assert 'aria-current="page"' in html
    partial = client.get(POSTS, {"q": "field"}, headers=HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="post-results"')
    assert f'id="post-{post.pk}"' in body
    assert "HX-Request" in partial["Vary"]


def test_author_sees_only_their_own_and_coauthored_posts(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    other = make_user(Role.AUTHOR)
    own = _post(author, title="Mine alone")
    shared = _post(other, title="Written together")
    shared.coauthors.add(author)
    _post(other, title="Somebody else post")
    html = client.get(POSTS).content.decode()
    assert "Mine alone" in html
    assert "Written together" in html
    assert "Somebody else" not in html
    assert "All posts" not in html  # no scope switch for authors
    assert 'name="author"' not in html  # nor an author filter
    # Asking for everything changes nothing.
    html = client.get(POSTS, {"scope": "all"}, headers=HTMX).content.decode()
    assert "Somebody else" not in html
    assert f'id="post-{own.pk}"' in html


def test_editor_sees_every_post_and_can_switch_to_their_own(client, login_as, make_user):
    editor = login_as(Role.EDITOR)
    _post(editor, title="The editor own")
    _post(make_user(Role.AUTHOR), title="An author draft")
    html = client.get(POSTS).content.decode()
    assert "The editor own" in html
    assert "An author draft" in html
    assert 'href="?scope=mine"' in html
    mine = client.get(POSTS, {"scope": "mine"}, headers=HTMX).content.decode()
    assert "The editor own" in mine
    assert "An author draft" not in mine
    assert '<input type="hidden" name="scope" value="mine" form="post-filters">' in mine


def test_new_post_button_links_to_the_editor(client, login_as):
    login_as(Role.AUTHOR)
    html = client.get(POSTS).content.decode()
    assert f'href="{reverse("dashboard:post_new")}"' in html


# --------------------------------------------------------------------------
# Filters, sorting and pages
# --------------------------------------------------------------------------


def test_posts_filters_by_status_author_category_tag_and_title(client, login_as, make_user):
    login_as(Role.EDITOR)
    ana, ben = make_user(Role.AUTHOR), make_user(Role.AUTHOR)
    essays, news = CategoryFactory.create(name="Essays"), CategoryFactory.create(name="News")
    python = TagFactory.create(name="python")
    a = _post(ana, S.PUBLISHED, title="Alpha essay", category=essays, tags=[python])
    b = _post(ben, S.DRAFT, title="Beta news", category=news)
    c = _post(ben, S.IN_REVIEW, title="Gamma essay", category=essays)

    def listed(**params):
        html = client.get(POSTS, params, headers=HTMX).content.decode()
        return {post for post in (a, b, c) if f'id="post-{post.pk}"' in html}

    assert listed() == {a, b, c}
    assert listed(status="draft") == {b}
    assert listed(author=ben.pk) == {b, c}
    assert listed(category=essays.pk) == {a, c}
    assert listed(tag=python.pk) == {a}
    assert listed(q="ESSAY") == {a, c}
    assert listed(q="essay", author=ben.pk) == {c}
    # An unknown value drops that filter and keeps the others.
    assert listed(status="lost", category=essays.pk) == {a, c}


def _order(html, posts):
    return sorted(posts, key=lambda post: html.index(f'id="post-{post.pk}"'))


def test_posts_sort_by_each_column_both_ways(client, login_as, make_user):
    login_as(Role.EDITOR)
    zed = make_user(Role.AUTHOR, display_name="Zed")
    amy = make_user(Role.AUTHOR, display_name="amy")
    draft = _post(zed, S.DRAFT, title="banana")
    review = _post(amy, S.IN_REVIEW, title="Apple")
    old = _post(zed, S.PUBLISHED, title="cherry", published_at=timezone.now() - timedelta(days=9))
    new = _post(amy, S.PUBLISHED, title="Date", published_at=timezone.now() - timedelta(days=1))
    posts = [draft, review, old, new]

    def order(sort):
        return _order(client.get(POSTS, {"sort": sort}, headers=HTMX).content.decode(), posts)

    assert order("title") == [review, draft, old, new]  # case-insensitive
    assert order("-title") == [new, old, draft, review]
    assert order("status") == [draft, review, old, new]  # workflow order, not alphabetical
    assert order("-status") == [new, old, review, draft]
    assert order("author") == [review, new, draft, old]  # "amy" before "Zed"
    assert order("published") == [old, new, draft, review]  # undated last both ways
    assert order("-published") == [new, old, review, draft]
    Post.objects.filter(pk=old.pk).update(updated_at=timezone.now() + timedelta(minutes=5))
    assert order("-updated")[0] == old
    assert order("updated")[-1] == old


def test_sorted_column_has_aria_sort_and_its_link_flips_the_direction(client, login_as, make_user):
    login_as(Role.EDITOR)
    _post(make_user(Role.AUTHOR), title="One")
    html = client.get(POSTS, {"sort": "title", "status": "draft"}).content.decode()
    header = html[html.index('aria-sort="ascending"') :]
    assert header.index('href="?sort=-title&amp;status=draft"') < header.index("</th>")
    assert html.count("aria-sort=") == 1
    assert 'href="?sort=status&amp;status=draft"' in html  # other columns start ascending
    assert 'href="?sort=-published&amp;status=draft"' in html  # dates start newest first
    assert '<input type="hidden" name="sort" value="title" form="post-filters">' in html


def test_posts_pagination_keeps_filters_and_sort(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    for n in range(30):
        _post(author, S.DRAFT, title=f"Draft {n:02}")
    _post(author, S.PUBLISHED, title="Not a draft")
    html = client.get(POSTS, {"status": "draft", "sort": "title"}).content.decode()
    assert 'Page <span class="font-medium">1</span> of <span class="font-medium">2</span>' in html
    assert 'href="?status=draft&amp;sort=title&amp;page=2"' in html
    two = client.get(POSTS, {"status": "draft", "sort": "title", "page": 2}, headers=HTMX)
    body = two.content.decode()
    assert "Draft 29" in body
    assert "Draft 24" not in body
    assert "Not a draft" not in body


def test_select_page_ticks_every_row_of_the_page(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    posts = [_post(author, title=f"Post {n}") for n in range(3)]
    html = client.get(POSTS, {"status": "draft"}, headers=HTMX).content.decode()
    assert """hx-headers='{"X-Select-Rows": "page"}'""" in html
    assert all(" checked" not in _row(html, post) for post in posts)
    headers = {**HTMX, "X-Select-Rows": "page"}
    html = client.get(POSTS, {"status": "draft"}, headers=headers).content.decode()
    for post in posts:
        assert f'value="{post.pk}" form="bulk-form" class' in html
        assert " checked" in _row(html, post)
    # Ticked: the checkbox now clears them, and the links it renders carry no selection.
    assert """hx-headers='{"X-Select-Rows": "none"}'""" in html
    assert f'id="select-page" hx-get="{POSTS}?status=draft"' in html
    assert 'href="?status=draft&amp;sort=title"' in html


# --------------------------------------------------------------------------
# Query budget and the content security policy
# --------------------------------------------------------------------------


def _make_posts(count, authors, categories, tags):
    statuses = list(S)
    for i in range(count):
        _post(
            authors[i % len(authors)],
            statuses[i % len(statuses)],
            category=categories[i % len(categories)],
            tags=tags[i % 4 : i % 4 + 3],
        )


def _queries(client, url, **headers):
    client.get(url, headers=headers)  # the first request of a session also writes to it
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("role", [Role.AUTHOR, Role.EDITOR])
@pytest.mark.parametrize("htmx", [False, True])
def test_posts_page_query_count_does_not_grow_with_posts(client, login_as, make_user, role, htmx):
    user = login_as(role)
    authors = [user, *(make_user(Role.AUTHOR) for _ in range(4))]
    categories = [CategoryFactory.create() for _ in range(3)]
    tags = [TagFactory.create() for _ in range(6)]
    headers = HTMX if htmx else {}
    _make_posts(10, authors, categories, tags)
    few = _queries(client, POSTS, **headers)
    _make_posts(50, authors, categories, tags)  # 60 in all: a full page of 25
    many = _queries(client, POSTS, **headers)
    assert few == many
    assert many <= 20


def _assert_no_inline_code(html, url):
    assert inline_code(html) == [], url
    for tag, attrs in html_elements(html):
        assert tag != "style", url
        if tag == "script":
            assert dict(attrs).get("src"), url
        for name, _ in attrs:
            assert name != "style", (url, tag)
            assert not name.startswith("on"), (url, tag, name)


def test_posts_pages_have_no_inline_code(client, login_as, make_user):
    editor = login_as(Role.EDITOR)
    post = _post(make_user(Role.AUTHOR), S.IN_REVIEW, tags=[TagFactory.create()])
    services.update_post(
        actor=editor,
        post=post,
        content=services.PostContent(title="Changed", body="New <b onclick='x()'>body</b>"),
        based_on_version=post.version,
    )
    services.update_post(
        actor=editor,
        post=post,
        content=services.PostContent(title="Changed again", body="Newer body"),
        based_on_version=post.version + 1,
    )
    pages = [
        POSTS,
        reverse("dashboard:post_revisions", args=[post.pk]),
        reverse("dashboard:categories"),
        reverse("dashboard:tags"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_no_inline_code(response.content.decode(), url)
        assert "unsafe-inline" not in response["Content-Security-Policy"]
    confirm = client.post(reverse("dashboard:posts_bulk"), {"action": "delete", "posts": [post.pk]})
    _assert_no_inline_code(confirm.content.decode(), "bulk confirm")
