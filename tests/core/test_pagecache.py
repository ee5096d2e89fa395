"""The page cache for anonymous readers: who is served from it, and what happens when it fails."""

import pytest
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.test import Client, RequestFactory
from redis.exceptions import RedisError

from apps.core import pagecache
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.fixture
def post(db):
    return PostFactory.create(title="Cached words")


def test_second_anonymous_read_is_served_from_the_cache_without_queries(client, post):
    first = client.get("/")
    assert first["X-Page-Cache"] == "miss"
    with count_queries() as queries:
        second = client.get("/")
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) == 0
    assert second.content == first.content
    assert "Cached words" in second.content.decode()


def test_cached_page_answers_a_matching_etag_with_304(client, post):
    etag = client.get(post.get_absolute_url())["ETag"]
    again = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert "s-maxage=" in again["Cache-Control"]


def test_signed_in_reader_is_never_served_another_readers_page_and_never_stored(client, post):
    reader = UserFactory.create(display_name="Personal Reader")
    client.get("/")  # an anonymous copy is stored
    signed_in = Client()
    signed_in.force_login(reader)
    page = signed_in.get("/")
    # The stored page, with this reader's own header filled in (apps.core.personal).
    assert page["X-Page-Cache"] == "member"
    assert "private" in page["Cache-Control"]
    assert "Personal Reader" in page.content.decode()
    assert reader.email in page.content.decode()
    assert "Sign in" not in page.content.decode()
    # And what the signed-in reader saw never reaches an anonymous one.
    anonymous = Client().get("/")
    assert anonymous["X-Page-Cache"] == "hit"
    assert reader.email not in anonymous.content.decode()


def test_anonymous_page_sets_no_cookie_and_carries_no_csrf_token(client, post):
    page = client.get(post.get_absolute_url())
    assert page.cookies == {}
    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert "X-CSRFToken" not in page.content.decode()


def test_htmx_partial_and_full_page_are_cached_apart(client, post):
    full = client.get("/")
    partial = client.get("/", HTTP_HX_REQUEST="true")
    assert partial["X-Page-Cache"] == "miss"
    assert "<html" in full.content.decode()
    assert "<html" not in partial.content.decode()
    assert client.get("/", HTTP_HX_REQUEST="true")["X-Page-Cache"] == "hit"


def test_a_request_with_a_token_is_never_served_a_stored_page(client, post):
    client.get("/")
    assert "X-Page-Cache" not in client.get("/", HTTP_AUTHORIZATION="Bearer abc")


def test_a_reader_with_a_pending_message_gets_a_fresh_page(client, post):
    client.get("/")
    client.cookies["messages"] = "pending"
    assert "X-Page-Cache" not in client.get("/")


def test_stampede_on_a_stale_page_renders_it_once(client, post):
    client.get("/")
    pagecache.invalidate_now(pagecache.SITE)
    # Another reader is already rendering the new version: this one gets the old one.
    lock = pagecache.LOCK_PREFIX + pagecache._page_key(RequestFactory().get("/"))
    cache.add(lock, 1, timeout=10)
    with count_queries() as queries:
        stale = client.get("/")
    assert stale["X-Page-Cache"] == "stale"
    assert len(queries) == 0
    cache.delete(lock)
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/")["X-Page-Cache"] == "hit"


def test_a_page_cache_that_is_down_serves_the_page_uncached(client, post, settings):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.PAGE_CACHE_ALIAS = "pages"
    with pytest.raises(RedisError):
        caches["pages"].get("probe")
    page = client.get(post.get_absolute_url())
    assert page.status_code == 200
    assert "Cached words" in page.content.decode()
    assert "X-Page-Cache" not in page


def test_a_failed_invalidation_is_logged_not_raised(settings):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.PAGE_CACHE_ALIAS = "pages"
    pagecache.invalidate_now("post:1")  # must not raise


def test_a_page_invalidated_while_it_rendered_is_not_stored():
    renders = []

    @pagecache.cached_for_readers
    def page(request):
        renders.append(1)
        pagecache.depend_on(request, "post:7")
        if len(renders) == 1:
            # A writer commits and invalidates between this render's reads and its store.
            pagecache.invalidate_now("post:7")
        return HttpResponse(f"render {len(renders)}")

    factory = RequestFactory()
    first = page(factory.get("/racy/"))
    assert "X-Page-Cache" not in first  # served, but not kept: it may show the old state
    assert page(factory.get("/racy/"))["X-Page-Cache"] == "miss"
    assert page(factory.get("/racy/"))["X-Page-Cache"] == "hit"
    assert len(renders) == 2


def test_a_hit_carries_the_headers_the_full_stack_gave_the_page(client, post):
    first = client.get("/")
    second = client.get("/")
    assert second["X-Page-Cache"] == "hit"
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert second[header] == first[header], header
    assert "Set-Cookie" not in second


def test_each_host_has_its_own_copy(settings, post):
    # Feeds, canonical links and the API write absolute addresses: never another host's.
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    Client().get("/feed/", HTTP_HOST="one.example")
    other = Client().get("/feed/", HTTP_HOST="two.example")
    assert other["X-Page-Cache"] == "miss"
    assert b"two.example" in other.content
    assert b"one.example" not in other.content


def test_a_worker_serves_its_own_copy_while_the_shared_tokens_are_current(client, post):
    # Each worker keeps the pages it served; a hit reads only their tokens from the cache.
    client.get(post.get_absolute_url())
    key = pagecache._page_key(RequestFactory().get(post.get_absolute_url()))
    cache.delete(pagecache.PAGE_PREFIX + key)  # evicted from the shared cache
    with count_queries() as queries:
        hit = client.get(post.get_absolute_url())
    assert hit["X-Page-Cache"] == "hit"
    assert len(queries) == 0

    # Another process changes the post: it replaces the token in the shared cache only.
    cache.set(pagecache.DEP_PREFIX + f"post:{post.pk}", pagecache._new_token(), timeout=None)
    assert client.get(post.get_absolute_url())["X-Page-Cache"] == "miss"


def test_a_workers_copies_stay_within_their_byte_budget(client, settings, db):
    settings.PAGE_CACHE_LOCAL_BYTES = 200_000
    posts = PostFactory.create_batch(6)
    for each in posts:
        client.get(each.get_absolute_url())
    assert 0 < pagecache._local._bytes <= 200_000
    # The latest pages are the ones kept.
    latest = pagecache._page_key(RequestFactory().get(posts[-1].get_absolute_url()))
    assert pagecache._local.get(latest) is not None


def test_no_copies_are_kept_when_the_budget_is_zero(client, settings, post):
    settings.PAGE_CACHE_LOCAL_BYTES = 0
    client.get(post.get_absolute_url())
    assert client.get(post.get_absolute_url())["X-Page-Cache"] == "hit"
    assert pagecache._local._bytes == 0
