"""Search at scale: capped result counts, the bounded PostgreSQL strategy, the bench seeder.

The searches themselves (words, phrases, exclusions, ranking, escaping) are tested in
test_reader_pages.py; these tests shrink the limits of apps.blog.search_postgres so a
handful of posts takes the paths 100,000 posts take.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from apps.blog import search_postgres, services
from apps.blog.management.bench_text import TextGenerator, word_at_rank
from apps.blog.models import Post
from apps.blog.search import search_page
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db


def _published(title: str, body: str = "Plain words.", hours_ago: float = 1, **extra):
    return services.create_post(
        author=extra.pop("author", None) or UserFactory.create(),
        title=title,
        body=body,
        excerpt=extra.pop("excerpt", ""),
        status="published",
        published_at=timezone.now() - timedelta(hours=hours_ago),
    )


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_more_results_than_the_cap_say_more_than_and_page_only_the_cap(client, monkeypatch):
    monkeypatch.setattr(search_postgres, "MAX_RESULTS", 3)
    for i in range(5):
        _published(f"Caching note {i}", hours_ago=i + 1)
    html = _page(client, "/search/?q=caching")
    assert "More than 3 results for “caching”" in html
    result = search_page("caching")
    assert (result.total, result.more) == (3, True)


def test_results_up_to_the_cap_are_counted_exactly(client, monkeypatch):
    monkeypatch.setattr(search_postgres, "MAX_RESULTS", 3)
    for i in range(3):
        _published(f"Caching note {i}")
    html = _page(client, "/search/?q=caching")
    assert "3 results for “caching”" in html
    assert "More than" not in html


def test_search_page_query_budget(client, settings):
    settings.POSTS_PER_PAGE = 5
    for i in range(12):
        _published(f"Caching {i}")
    clear_cache()
    with count_queries() as ctx:
        assert client.get("/search/?q=caching").status_code == 200
    # Candidates (one query), the page's posts, their tags; plus the request's own reads.
    assert len(ctx) <= 6, [q["sql"][:80] for q in ctx.captured_queries]


@pytest.mark.postgres
def test_common_words_rank_older_title_matches_above_newer_body_matches(client, monkeypatch):
    monkeypatch.setattr(search_postgres, "PROBE_WINDOW", 4)
    monkeypatch.setattr(search_postgres, "PROBE_MATCHES", 2)
    titled = _published("Caching explained", "Nothing else.", hours_ago=100)
    for i in range(6):
        _published(f"Note {i}", "We talked about caching again.", hours_ago=i + 1)
    result = search_page("caching")
    assert result.more  # common in the window: not all counted
    assert result.hits[0][0] == titled  # outside the window, found by its title
    assert "More than" in _page(client, "/search/?q=caching")


@pytest.mark.postgres
def test_rare_words_beyond_the_window_are_all_found_and_counted(client, monkeypatch):
    monkeypatch.setattr(search_postgres, "PROBE_WINDOW", 2)
    old = _published("Old", "A note on zeppelins.", hours_ago=500)
    older = _published("Older", "Zeppelin travel.", hours_ago=900)
    for i in range(4):
        _published(f"New {i}", "Nothing relevant.", hours_ago=i + 1)
    result = search_page("zeppelin")
    assert not result.more
    assert [post for post, _ in result.hits] == [old, older]
    assert "<mark>" in result.hits[0][1]
    assert "2 results" in _page(client, "/search/?q=zeppelin")


@pytest.mark.postgres
def test_phrases_and_exclusions_beyond_the_window(monkeypatch):
    monkeypatch.setattr(search_postgres, "PROBE_WINDOW", 2)
    one = _published("One", "The query budget matters.", hours_ago=300)
    _published("Two", "A budget for every query.", hours_ago=400)
    _published("Three", "Query budget, but flask.", hours_ago=500)
    for i in range(3):
        _published(f"New {i}", "Nothing relevant.", hours_ago=i + 1)
    assert [p for p, _ in search_page('"query budget" -flask').hits] == [one]
    # An excluded word in the body drops a post whose title matches.
    _published("Budget query tips", "Flask only.", hours_ago=50)
    assert [p.title for p, _ in search_page("budget -flask").hits] == ["One", "Two"]


@pytest.mark.postgres
def test_a_future_dated_published_post_stays_hidden_on_every_path(monkeypatch):
    monkeypatch.setattr(search_postgres, "PROBE_WINDOW", 1)
    PostFactory.create(title="Zeppelin future", published_at=timezone.now() + timedelta(days=1))
    _published("Filler", "Nothing.")
    _published("Filler two", "Nothing.")
    assert search_page("zeppelin").total == 0


def test_seed_bench_posts_creates_searchable_posts_and_tops_up(client):
    call_command("seed_bench_posts", posts=12, batch=5, stdout=io.StringIO())
    posts = Post.objects.filter(slug__startswith="bench-")
    assert posts.count() == 12
    assert set(posts.values_list("status", flat=True)) == {"published"}
    assert all(post.tags.exists() for post in posts)
    assert posts.values("author").distinct().count() > 1
    call_command("seed_bench_posts", posts=15, stdout=io.StringIO())
    assert Post.objects.filter(slug__startswith="bench-").count() == 15  # 12 kept, 3 added
    common = word_at_rank(1)
    assert search_page(common).total > 0
    assert "result" in _page(client, f"/search/?q={common}")


def test_seed_bench_posts_reset_starts_over():
    call_command("seed_bench_posts", posts=6, stdout=io.StringIO())
    first = set(Post.objects.values_list("pk", flat=True))
    call_command("seed_bench_posts", posts=4, reset=True, stdout=io.StringIO())
    assert Post.objects.count() == 4
    assert not first & set(Post.objects.values_list("pk", flat=True))


def test_seed_bench_posts_refuses_a_database_with_real_posts_unless_forced():
    _published("A real post")
    with pytest.raises(CommandError, match="not bench posts"):
        call_command("seed_bench_posts", posts=3, stdout=io.StringIO())
    assert not Post.objects.filter(slug__startswith="bench-").exists()
    call_command("seed_bench_posts", posts=3, force=True, stdout=io.StringIO())
    assert Post.objects.filter(slug__startswith="bench-").count() == 3


def test_generated_text_is_deterministic_and_zipf_like():
    text = TextGenerator(seed=1)
    assert text.post(7) == TextGenerator(seed=1).post(7)
    assert text.post(7) != text.post(8)
    words = " ".join(text.post(n).body.lower() for n in range(40)).split()
    assert words.count(word_at_rank(1)) > 10 * max(1, words.count(word_at_rank(2000)))
