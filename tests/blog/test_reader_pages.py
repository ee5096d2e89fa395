"""Reader pages added by the blog issue: search, archive, feeds, sitemap and metadata."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.blog import services
from apps.blog.search import parse_query
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.utils import clear_cache, count_queries, html_elements

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _published(title: str, body: str = "Plain words.", **extra):
    author = extra.pop("author", None) or UserFactory.create()
    return services.create_post(
        author=author,
        title=title,
        body=body,
        excerpt=extra.pop("excerpt", ""),
        status="published",
        published_at=extra.pop("published_at", timezone.now() - timedelta(hours=1)),
        category=extra.pop("category", None),
        tags=extra.pop("tags", ()),
    )


def _jsonld(html: str) -> str:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match is not None
    return match[1]


def _queries(client, url: str) -> int:
    clear_cache()
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_parse_query_understands_words_phrases_and_exclusions():
    parsed = parse_query('django "query budget" -flask')
    assert parsed.words == ["django"]
    assert parsed.phrases == ["query budget"]
    assert parsed.excluded == ["flask"]
    assert not parse_query("   ")


def test_search_finds_by_title_and_body_and_ranks_titles_first(client):
    in_body = _published("Notes from a workshop", "We talked about caching for an hour.")
    in_title = _published("Caching without tears", "Short.")
    _published("Gardening", "Nothing relevant here.")
    html = client.get("/search/?q=caching").content.decode()
    assert "2 results" in html
    assert html.index(in_title.title) < html.index(in_body.title)
    assert "<mark>" in html


def test_search_honours_phrases_and_exclusions(client):
    _published("One", "The query budget matters.")
    _published("Two", "A budget for every query.")
    _published("Three", "Query budget, but flask.")
    html = client.get('/search/?q="query budget" -flask').content.decode()
    assert "1 result " in html
    assert ">One<" in html


def test_search_never_shows_drafts_or_future_posts(client):
    PostFactory.create(title="Secret caching plan", status="draft", published_at=None)
    _published("Future caching", published_at=timezone.now() + timedelta(days=1))
    html = client.get("/search/?q=caching").content.decode()
    assert "Nothing matches" in html


def test_search_escapes_what_it_echoes(client):
    _published("Safe", "<script>alert(1)</script> caching")
    html = client.get("/search/?q=<script>caching").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_search_partial_for_htmx_and_full_page_without_js(client, htmx_client):
    _published("Caching")
    full = client.get("/search/?q=caching").content.decode()
    assert "<html" in full
    assert 'role="search"' in full
    partial = htmx_client.get("/search/?q=caching").content.decode()
    assert partial.lstrip().startswith('<section id="results"')


def test_search_query_count_does_not_grow_with_results(client):
    for i in range(3):
        _published(f"Caching {i}", tags=[TagFactory.create()])
    few = _queries(client, "/search/?q=caching")
    for i in range(9):
        _published(f"More caching {i}", tags=[TagFactory.create(), TagFactory.create()])
    assert _queries(client, "/search/?q=caching") == few


@pytest.mark.postgres
def test_postgres_search_uses_stemming_and_the_gin_index(client):
    _published("Designing for slow connections", "Designers test on bad networks.")
    html = client.get("/search/?q=design").content.decode()
    assert "Designing for slow connections" in html
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'blog_post_search_document_gin'"
        )
        assert "gin (search_document)" in cursor.fetchone()[0].lower()


def test_archive_lists_months_and_each_month_lists_its_posts(client):
    _published("October post", published_at=timezone.now().replace(year=2025, month=10, day=5))
    _published("November post", published_at=timezone.now().replace(year=2025, month=11, day=5))
    index = client.get("/archive/").content.decode()
    assert "October" in index
    assert "November" in index
    month = client.get("/archive/2025/10/").content.decode()
    assert "October post" in month
    assert "November post" not in month
    assert client.get("/archive/2025/13/").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/feed/", "/categories/{category}/feed/", "/tags/{tag}/feed/", "/authors/{author}/feed/"],
)
def test_rss_feeds_are_valid_xml_with_the_right_posts(client, url):
    category, tag = CategoryFactory.create(), TagFactory.create()
    author = UserFactory.create()
    _published("In feed", category=category, tags=[tag], author=author, body="<b onclick=x>hi</b>")
    PostFactory.create(title="Draft", status="draft", published_at=None, category=category)
    response = client.get(url.format(category=category.slug, tag=tag.slug, author=author.username))
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    titles = [item.findtext("title") for item in root.iter("item")]
    assert titles == ["In feed"]
    description = root.findtext("channel/item/description") or ""
    assert not any(
        name.startswith("on") for _, attrs in html_elements(description) for name, _ in attrs
    )


def test_atom_feed_is_valid_xml(client):
    _published("Atom entry")
    root = ET.fromstring(client.get("/feed/atom/").content)
    assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == ["Atom entry"]


def test_sitemap_lists_published_posts_and_listing_pages(client):
    post = _published("Mapped", category=CategoryFactory.create(), tags=[TagFactory.create()])
    PostFactory.create(title="Hidden draft", status="draft", published_at=None)
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [
        loc.text or "" for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert any(loc.endswith(post.get_absolute_url()) for loc in locations)
    assert any("/categories/" in loc for loc in locations)
    assert any("/tags/" in loc for loc in locations)
    assert not any("hidden-draft" in loc for loc in locations)


def test_robots_txt_points_to_the_sitemap(client):
    assert "Sitemap: http://testserver/sitemap.xml" in client.get("/robots.txt").content.decode()


def test_post_page_has_toc_related_posts_and_metadata(client):
    tag = TagFactory.create(name="craft")
    body = "## One\n\ntext\n\n## Two\n\ntext\n\n### Two and a half\n\ntext"
    post = _published("Main", body=body, tags=[tag], excerpt="An excerpt.")
    related = _published("Sibling", tags=[tag])
    _published("Stranger")
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'href="#two-and-a-half"' in html
    assert 'id="two-and-a-half"' in html
    assert "Related posts" in html
    assert related.title in html
    assert 'property="og:title" content="Main"' in html
    assert 'name="twitter:card"' in html
    data = json.loads(_jsonld(html))
    assert data["@type"] == "Article"
    assert data["headline"] == "Main"
    assert data["author"][0]["name"] == post.author.name


def test_jsonld_cannot_break_out_of_its_element(client):
    post = _published("</script><script>alert(1)</script>")
    html = client.get(post.get_absolute_url()).content.decode()
    block = _jsonld(html)
    assert "<" not in block


def test_post_page_query_count_does_not_grow_with_related_posts_or_coauthors(client):
    tag = TagFactory.create()
    post = _published("Main", tags=[tag])
    _published("Related 1", tags=[tag])
    few = _queries(client, post.get_absolute_url())
    for i in range(5):
        _published(f"Related more {i}", tags=[tag])
    post.coauthors.add(UserFactory.create(), UserFactory.create())
    assert _queries(client, post.get_absolute_url()) == few


def test_search_pages_keep_the_query(client, settings):
    settings.POSTS_PER_PAGE = 2
    for i in range(5):
        _published(f"Caching {i}")
    html = client.get("/search/?q=caching").content.decode()
    assert 'href="?q=caching&amp;page=2"' in html
    assert "Caching" in client.get("/search/?q=caching&page=2").content.decode()
