"""Exact invalidation: each change drops the cached pages that show it, and only those."""

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.profile.services import ProfileChanges, update_profile
from apps.blog import services
from apps.blog.models import Post
from apps.comments.services import create_comment
from tests.blog.helpers import user_in_role
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.factories.comments import CommentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


def _state(url: str) -> str:
    """How the page cache answered an anonymous reader: miss, hit or stale."""
    response = Client().get(url)
    assert response.status_code == 200, url
    return response["X-Page-Cache"]


def _warm(*urls: str) -> None:
    for url in urls:
        _state(url)
        assert _state(url) == "hit", url


@pytest.fixture
def site(db):
    """Two categories, two tags, two authors, three public posts."""
    essays, notes = CategoryFactory.create(name="Essays"), CategoryFactory.create(name="Notes")
    python, craft = TagFactory.create(name="python"), TagFactory.create(name="craft")
    ada, bob = UserFactory.create(display_name="Ada"), UserFactory.create(display_name="Bob")
    now = timezone.now()
    first = PostFactory.create(
        title="First", author=ada, category=essays, tags=[python], published_at=now - timedelta(3)
    )
    second = PostFactory.create(
        title="Second", author=ada, category=essays, tags=[python], published_at=now - timedelta(2)
    )
    other = PostFactory.create(
        title="Other", author=bob, category=notes, tags=[craft], published_at=now - timedelta(1)
    )
    return {"essays": essays, "notes": notes, "python": python, "craft": craft, "ada": ada,
            "bob": bob, "first": first, "second": second, "other": other}  # fmt: skip


def _edit(post: Post, **changes) -> None:
    content = replace(services.current_content(post), **changes)
    services.update_post(
        actor=user_in_role("editor"), post=post, content=content, based_on_version=post.version
    )


def test_editing_a_published_title_drops_its_page_and_the_listings_that_show_it(
    site, django_capture_on_commit_callbacks
):
    second, other = site["second"], site["other"]
    essays, notes = site["essays"].get_absolute_url(), site["notes"].get_absolute_url()
    craft = site["craft"].get_absolute_url()
    _warm("/", second.get_absolute_url(), essays, notes, craft, other.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        _edit(second, title="Second, revised")
    assert _state(second.get_absolute_url()) == "miss"
    assert _state("/") == "miss"
    assert _state(essays) == "miss"
    assert _state(other.get_absolute_url()) == "miss"  # its "older" link names the post
    assert _state(notes) == "hit"
    assert _state(craft) == "hit"
    assert "Second, revised" in Client().get("/").content.decode()


def test_editing_a_draft_drops_nothing(site, django_capture_on_commit_callbacks):
    draft = PostFactory.create(status=Post.Status.DRAFT, published_at=None, author=site["ada"])
    _warm("/", site["first"].get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        _edit(draft, title="Still a draft")
    assert _state("/") == "hit"
    assert _state(site["first"].get_absolute_url()) == "hit"


def test_publishing_drops_the_listings_and_the_newest_posts_neighbour_link(
    site, django_capture_on_commit_callbacks
):
    other, first = site["other"], site["first"]
    notes, essays = site["notes"].get_absolute_url(), site["essays"].get_absolute_url()
    _warm("/", notes, essays, other.get_absolute_url(), first.get_absolute_url())
    fresh = PostFactory.create(
        title="Fresh", status=Post.Status.IN_REVIEW, published_at=None, category=site["notes"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_post(actor=user_in_role("editor"), post=fresh)
    assert _state("/") == "miss"
    assert _state(notes) == "miss"
    assert _state(other.get_absolute_url()) == "miss"  # its "newer" link is the new post
    assert _state(essays) == "hit"
    assert _state(first.get_absolute_url()) == "hit"
    assert "Fresh" in Client().get("/").content.decode()


def test_archiving_takes_the_post_off_every_cached_listing(
    site, django_capture_on_commit_callbacks
):
    second = site["second"]
    _warm("/", second.get_absolute_url(), site["essays"].get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        services.archive_post(actor=user_in_role("editor"), post=second)
    assert Client().get(second.get_absolute_url()).status_code == 404
    assert "Second" not in Client().get("/").content.decode()
    assert "Second" not in Client().get(site["essays"].get_absolute_url()).content.decode()


def test_a_new_comment_drops_its_posts_page_and_the_listings_that_count_it(
    site, django_capture_on_commit_callbacks
):
    second, other = site["second"], site["other"]
    second.comments_open = True
    second.save(update_fields=["comments_open"])
    reader = make_verified(UserFactory.create())
    CommentFactory.create(author=reader, post=other)  # known to the site: not held for review
    notes = site["notes"].get_absolute_url()
    essays = site["essays"].get_absolute_url()
    _warm(second.get_absolute_url(), other.get_absolute_url(), "/", essays, notes)
    with django_capture_on_commit_callbacks(execute=True):
        create_comment(actor=reader, post=second, body="A cached page hears this at once.")
    assert _state(second.get_absolute_url()) == "miss"
    assert "hears this at once" in Client().get(second.get_absolute_url()).content.decode()
    # The cards of the post show its comment count; listings without it stay.
    assert _state("/") == "miss"
    assert "1 comment<" in Client().get(essays).content.decode()
    assert _state(other.get_absolute_url()) == "hit"
    assert _state(notes) == "hit"


def test_a_held_comment_drops_nothing(site, django_capture_on_commit_callbacks):
    second = site["second"]
    second.comments_open = True
    second.save(update_fields=["comments_open"])
    _warm(second.get_absolute_url())
    newcomer = make_verified(UserFactory.create())  # a first comment waits for a moderator
    with django_capture_on_commit_callbacks(execute=True):
        comment = create_comment(actor=newcomer, post=second, body="Hello there.")
    assert not comment.is_public
    assert _state(second.get_absolute_url()) == "hit"


def test_renaming_a_category_drops_the_pages_that_name_it(site, django_capture_on_commit_callbacks):
    first, other = site["first"], site["other"]
    _warm(first.get_absolute_url(), other.get_absolute_url(), "/")
    with django_capture_on_commit_callbacks(execute=True):
        services.save_category(
            actor=user_in_role("editor"), name="Long essays", category=site["essays"]
        )
    assert _state(first.get_absolute_url()) == "miss"
    assert _state("/") == "miss"  # the cards name it
    assert _state(other.get_absolute_url()) == "hit"


def test_an_authors_new_name_drops_their_pages_but_not_others(
    site, django_capture_on_commit_callbacks
):
    ada, first, other = site["ada"], site["first"], site["other"]
    _warm(first.get_absolute_url(), other.get_absolute_url(), f"/authors/{ada.username}/")
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(
            actor=ada,
            user=ada,
            changes=ProfileChanges(display_name="Ada L.", username=ada.username, bio=""),
        )
    assert _state(first.get_absolute_url()) == "miss"
    assert _state(f"/authors/{ada.username}/") == "miss"
    assert _state(other.get_absolute_url()) == "hit"
    assert "Ada L." in Client().get(first.get_absolute_url()).content.decode()


def test_feeds_are_cached_until_a_post_they_list_changes(site, django_capture_on_commit_callbacks):
    essays_feed = f"{site['essays'].get_absolute_url()}feed/"
    notes_feed = f"{site['notes'].get_absolute_url()}feed/"
    _warm("/feed/", essays_feed, notes_feed)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(site["second"], body="A new paragraph for the feed readers.")
    assert _state("/feed/") == "miss"
    assert _state(essays_feed) == "miss"
    assert _state(notes_feed) == "hit"
    assert "A new paragraph for the feed readers." in Client().get("/feed/").content.decode()


def test_an_authors_new_bio_reaches_the_author_box_of_every_post_they_wrote(
    site, django_capture_on_commit_callbacks
):
    ada, bob, first, other = site["ada"], site["bob"], site["first"], site["other"]
    other.coauthors.add(ada)  # co-written: its author box shows Ada too
    _warm(first.get_absolute_url(), other.get_absolute_url(), site["second"].get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(
            actor=ada,
            user=ada,
            changes=ProfileChanges(
                display_name="Ada", username=ada.username, bio="Writes *essays*."
            ),
        )
    for post in (first, other):
        assert _state(post.get_absolute_url()) == "miss"
        assert "Writes <em>essays</em>." in Client().get(post.get_absolute_url()).content.decode()
    assert bob.bio_html == ""


def test_a_new_title_gives_the_post_a_new_social_card(site, django_capture_on_commit_callbacks):
    second = site["second"]
    before = Client().get(second.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _edit(second, title="Second, renamed")
    after = Client().get(second.get_absolute_url()).content.decode()
    card = re.compile(r'<meta property="og:image" content="([^"]+)">')
    old_card, new_card = card.search(before), card.search(after)
    assert old_card is not None
    assert new_card is not None
    assert old_card[1] != new_card[1]
    assert "/card-" in new_card[1]
