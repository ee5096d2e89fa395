from datetime import timedelta

import pytest
from django.utils import timezone

from apps.blog import selectors
from apps.blog.models import Post
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.factories.comments import CommentFactory
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db


def _make_posts(count: int) -> list[Post]:
    authors = [UserFactory.create() for _ in range(min(count, 5))]
    categories = [CategoryFactory.create() for _ in range(3)]
    tags = [TagFactory.create() for _ in range(6)]
    return [
        PostFactory.create(
            author=authors[i % len(authors)],
            category=categories[i % len(categories)],
            tags=tags[i % 4 : i % 4 + 3],
            featured=i < 3,
        )
        for i in range(count)
    ]


def _queries(client, url: str, **headers: str) -> int:
    """Queries for one request with cachalot off: the budget is the worst case."""
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx)


def test_home_lists_published_posts_newest_first(client):
    old = PostFactory.create(title="Older", published_at=timezone.now() - timedelta(days=2))
    new = PostFactory.create(title="Newer")
    PostFactory.create(title="Secret draft", status=Post.Status.DRAFT, published_at=None)
    PostFactory.create(title="Future", published_at=timezone.now() + timedelta(days=1))
    html = client.get("/").content.decode()
    assert html.index(new.title) < html.index(old.title)
    assert "Secret draft" not in html
    assert "Future" not in html


def test_home_full_page_and_htmx_partial(client, htmx_client):
    _make_posts(18)  # three featured above the list, then two pages of 12 and 3
    full = client.get("/")
    assert full.status_code == 200
    assert "<html" in full.content.decode()
    assert "Featured" in full.content.decode()
    partial = htmx_client.get("/?page=2")
    html = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="post-list">')
    assert 'Page <span class="font-medium">2</span>' in html


def test_home_boosted_request_gets_the_full_page(client):
    response = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.content.decode()


def test_home_query_count_does_not_grow_with_posts(client):
    _make_posts(10)
    few = _queries(client, "/")
    _make_posts(50)
    many = _queries(client, "/")
    assert few == many
    assert many <= 8


def test_listing_pages_query_count_does_not_grow_with_posts(client):
    posts = _make_posts(10)
    category, tag, author = posts[0].category, posts[0].tags.first(), posts[0].author
    assert category is not None
    assert tag is not None
    urls = [category.get_absolute_url(), tag.get_absolute_url(), author.get_absolute_url()]
    few = [_queries(client, url) for url in urls]
    for _ in range(10):
        PostFactory.create(category=category, tags=[tag], author=author)
    many = [_queries(client, url) for url in urls]
    assert few == many


def test_post_detail_shows_the_sanitised_body(client):
    post = PostFactory.create(body="## Section\n\nText <script>alert(1)</script>")
    html = client.get(post.get_absolute_url()).content.decode()
    assert '<h2 id="section">Section</h2>' in html
    assert "<script>alert(1)</script>" not in html
    assert f'ws-connect="/ws/posts/{post.pk}/"' in html


def test_cold_anonymous_post_page_makes_at_most_eight_queries(client):
    tags = [TagFactory.create(), TagFactory.create()]
    post = PostFactory.create(tags=tags, published_at=timezone.now() - timedelta(days=2))
    PostFactory.create(tags=tags, published_at=timezone.now() - timedelta(days=3))
    PostFactory.create(tags=tags, published_at=timezone.now() - timedelta(days=1))
    CommentFactory.create_batch(3, post=post)
    assert _queries(client, post.get_absolute_url()) <= 8


def test_cold_anonymous_post_page_without_comments_reads_its_live_number_apart(client):
    # With no comment row to carry it, the post's live-stream number (the page's catch-up
    # point) costs one query of its own.
    post = PostFactory.create(tags=[TagFactory.create()])
    assert _queries(client, post.get_absolute_url()) <= 9


def test_post_page_links_the_nearest_older_and_newer_posts(client):
    now = timezone.now()
    PostFactory.create(title="Much older", published_at=now - timedelta(days=9))
    PostFactory.create(title="Just older", published_at=now - timedelta(days=5))
    post = PostFactory.create(title="Middle", published_at=now - timedelta(days=4))
    PostFactory.create(title="Just newer", published_at=now - timedelta(days=3))
    PostFactory.create(title="Draft between", status="draft", published_at=None)
    PostFactory.create(title="Much newer", published_at=now - timedelta(days=1))
    older, newer = selectors.adjacent_posts(post)
    assert older is not None
    assert newer is not None
    assert (older.title, newer.title) == ("Just older", "Just newer")
    first = PostFactory.create(title="First ever", published_at=now - timedelta(days=30))
    none, after_first = selectors.adjacent_posts(first)
    assert none is None
    assert after_first is not None
    assert after_first.title == "Much older"


def test_post_detail_query_count_does_not_grow_with_tags(client):
    post = PostFactory.create(tags=[TagFactory.create()])
    few = _queries(client, post.get_absolute_url())
    post.tags.add(*[TagFactory.create() for _ in range(10)])
    many = _queries(client, post.get_absolute_url())
    assert few == many


@pytest.mark.parametrize(
    ("status", "published_at"),
    [
        (Post.Status.DRAFT, None),
        (Post.Status.IN_REVIEW, None),
        (Post.Status.ARCHIVED, None),
        (Post.Status.PUBLISHED, "future"),
    ],
)
def test_post_detail_hides_posts_readers_may_not_see(client, status, published_at):
    when = timezone.now() + timedelta(days=1) if published_at == "future" else None
    post = PostFactory.create(status=status, published_at=when)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_post_detail_without_the_live_switch_opens_no_socket(client):
    from waffle.models import Switch

    Switch.objects.filter(name="live_updates").update(active=False)
    post = PostFactory.create()
    assert "ws-connect" not in client.get(post.get_absolute_url()).content.decode()


def test_unknown_category_tag_and_author_are_404(client):
    for url in ["/categories/nope/", "/tags/nope/", "/authors/nobody/"]:
        assert client.get(url).status_code == 404


def test_robots_txt_is_plain_text(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in response.content.decode()
