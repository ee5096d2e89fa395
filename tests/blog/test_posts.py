"""Writing posts: drafts, edits with revisions, slug history, conflicts and restores."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.blog import services
from apps.blog.models import Post, PostSlug, Revision
from apps.blog.services import EditConflictError
from tests.blog.helpers import post_content, user_in_role
from tests.factories.blog import TagFactory
from tests.utils import html_elements

pytestmark = pytest.mark.django_db


def test_start_post_creates_a_draft_with_a_sanitised_body_and_a_revision():
    author = user_in_role("author")
    post = services.start_post(
        actor=author,
        content=post_content(body="Hi <script>alert(1)</script> <img src=x onerror=y>"),
    )
    assert post.status == Post.Status.DRAFT
    assert post.author == author
    assert post.slug == "on-small-tools"
    elements = html_elements(post.body_html)
    assert all(tag not in {"script", "img"} for tag, _ in elements)  # escaped as text
    assert not any(name.startswith("on") for _, attrs in elements for name, _ in attrs)
    assert Revision.objects.filter(post=post).count() == 1


def test_readers_cannot_start_posts():
    with pytest.raises(PermissionDenied):
        services.start_post(actor=user_in_role("reader"), content=post_content())
    assert not Post.objects.exists()


def test_slugs_are_unique_and_collisions_get_a_clear_error():
    author = user_in_role("author")
    first = services.start_post(actor=author, content=post_content())
    second = services.start_post(actor=author, content=post_content())
    assert (first.slug, second.slug) == ("on-small-tools", "on-small-tools-2")
    with pytest.raises(ValidationError, match="already used"):
        services.start_post(actor=author, content=post_content(slug="on-small-tools"))


def test_update_post_records_a_revision_for_title_or_body_changes_only():
    author = user_in_role("author")
    post = services.start_post(actor=author, content=post_content())
    post = services.update_post(
        actor=author,
        post=post,
        content=post_content(title="On small, sharp tools"),
        based_on_version=1,
    )
    assert post.version == 2
    post = services.update_post(
        actor=author,
        post=post,
        content=post_content(title="On small, sharp tools", excerpt="Short."),
        based_on_version=2,
    )
    titles = list(Revision.objects.filter(post=post).values_list("title", flat=True))
    assert titles == ["On small, sharp tools", "On small tools"]


def test_a_second_save_from_an_old_version_is_refused_and_overwrites_nothing():
    author = user_in_role("author")
    editor = user_in_role("editor")
    post = services.start_post(actor=author, content=post_content())
    services.update_post(
        actor=editor, post=post, content=post_content(body="Editor's cut."), based_on_version=1
    )
    with pytest.raises(EditConflictError, match="Someone else saved"):
        services.update_post(
            actor=author, post=post, content=post_content(body="Mine."), based_on_version=1
        )
    post.refresh_from_db()
    assert post.body == "Editor's cut."
    assert post.version == 2


def test_authors_edit_only_their_own_posts():
    post = services.start_post(actor=user_in_role("author"), content=post_content())
    with pytest.raises(PermissionDenied):
        services.update_post(
            actor=user_in_role("author"), post=post, content=post_content(), based_on_version=1
        )
    services.update_post(
        actor=user_in_role("editor"), post=post, content=post_content(body="ok"), based_on_version=1
    )


def test_renaming_a_published_post_keeps_the_old_address_as_a_redirect(client):
    editor = user_in_role("editor")
    post = services.start_post(actor=editor, content=post_content())
    services.publish_post(actor=editor, post=post)
    post.refresh_from_db()
    services.update_post(
        actor=editor,
        post=post,
        content=post_content(slug="small-tools"),
        based_on_version=post.version,
    )
    assert PostSlug.objects.filter(slug="on-small-tools").exists()
    response = client.get("/posts/on-small-tools/")
    assert response.status_code == 301
    assert response["Location"] == "/posts/small-tools/"
    # Nobody else can take the old address while it redirects.
    with pytest.raises(ValidationError, match="already used"):
        services.start_post(actor=editor, content=post_content(slug="on-small-tools"))


def test_restore_revision_brings_back_an_old_body_as_a_new_revision():
    author = user_in_role("author")
    post = services.start_post(actor=author, content=post_content(body="First draft."))
    post = services.update_post(
        actor=author, post=post, content=post_content(body="Second."), based_on_version=1
    )
    first = Revision.objects.filter(post=post).order_by("created_at", "id").first()
    assert first is not None
    post = services.restore_revision(actor=author, post=post, revision=first, based_on_version=2)
    assert post.body == "First draft."
    latest = Revision.objects.filter(post=post).order_by("-created_at", "-id").first()
    assert latest is not None
    assert latest.note.startswith("restored")


def test_invalid_edits_leave_nothing_half_saved():
    author = user_in_role("author")
    post = services.start_post(actor=author, content=post_content(tags=[TagFactory.create()]))
    with pytest.raises(ValidationError):
        services.update_post(
            actor=author, post=post, content=post_content(title=" ", tags=[]), based_on_version=1
        )
    post.refresh_from_db()
    assert post.title == "On small tools"
    assert post.tags.count() == 1
    assert post.version == 1


def test_scheduled_publication_shows_the_post_only_from_its_time(client):
    editor = user_in_role("editor")
    post = services.start_post(actor=editor, content=post_content())
    services.schedule_post(actor=editor, post=post, publish_at=timezone.now() + timedelta(hours=1))
    assert client.get(post.get_absolute_url()).status_code == 404
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    services.publish_due()
    assert client.get(post.get_absolute_url()).status_code == 200
