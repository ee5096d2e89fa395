"""Reader-facing selectors: what counts as public, and queries the cache can reuse."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from apps.blog import selectors, services
from apps.blog.models import Post
from tests.blog.helpers import user_in_role
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

# A fixed minute, so no test straddles a minute boundary by chance.
MINUTE = datetime(2026, 6, 1, 12, 30, tzinfo=timezone.get_fixed_timezone(0))


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_published_posts_sql_stays_the_same_for_a_minute():
    with _at(MINUTE + timedelta(seconds=1, microseconds=17)):
        early = str(selectors.published_posts().query)
    with _at(MINUTE + timedelta(seconds=59, microseconds=999_999)):
        late = str(selectors.published_posts().query)
    with _at(MINUTE + timedelta(minutes=1)):
        next_minute = str(selectors.published_posts().query)
    assert early == late
    assert next_minute != early


def test_published_posts_shows_a_post_the_moment_it_is_published():
    post = PostFactory.create(status=Post.Status.IN_REVIEW, published_at=None)
    services.publish_post(actor=user_in_role("editor"), post=post)
    assert selectors.published_post_by_slug(post.slug) == post


def test_published_posts_hides_a_published_post_dated_in_the_future():
    hidden = PostFactory.create(published_at=timezone.now() + timedelta(minutes=2))
    shown = PostFactory.create(published_at=timezone.now() - timedelta(minutes=2))
    assert list(selectors.published_posts()) == [shown]
    assert hidden not in selectors.published_posts()


def _cache_keys() -> int:
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    return sum(1 for _ in client.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}:*", count=1000))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # cachalot stores on commit
def test_reading_the_home_page_again_writes_no_new_cache_entries(client):
    # cachalot on Redis: a query carrying a fresh timestamp was a new key on every request,
    # and Redis grew without bound under load.
    PostFactory.create_batch(3, published_at=MINUTE - timedelta(days=1))
    with _at(MINUTE + timedelta(seconds=5)):
        assert client.get("/").status_code == 200
    first = _cache_keys()
    with _at(MINUTE + timedelta(seconds=40, microseconds=123)):
        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 200
    assert first > 0
    assert _cache_keys() == first
