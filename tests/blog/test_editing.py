"""Saving from the editor (tags, address policy, cover, featuring) and the one-click moves."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.blog import services
from apps.blog.models import Post, Revision, Tag
from apps.blog.services import EditConflictError
from tests.blog.helpers import post_content, user_in_role
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db

S = Post.Status


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_save_post_draft_starts_a_post_with_an_address_from_its_title():
    author = user_in_role("author")
    saved = services.save_post_draft(actor=author, post=None, content=post_content())
    assert saved.created
    assert saved.post.slug == "on-small-tools"
    assert saved.post.status == S.DRAFT


def test_save_post_draft_creates_new_tags_and_reuses_existing_ones():
    editor = user_in_role("editor")
    TagFactory.create(name="Craft", slug="craft")
    saved = services.save_post_draft(
        actor=editor, post=None, content=post_content(), new_tag_names=["craft", "Tools"]
    )
    assert sorted(tag.slug for tag in saved.post.tags.all()) == ["craft", "tools"]
    assert Tag.objects.count() == 2


def test_save_post_draft_leaves_no_tags_behind_when_the_save_is_refused():
    editor = user_in_role("editor")
    PostFactory.create(slug="taken")
    with pytest.raises(ValidationError):
        services.save_post_draft(
            actor=editor, post=None, content=post_content(slug="taken"), new_tag_names=["Fresh"]
        )
    assert not Tag.objects.filter(slug="fresh").exists()


def test_save_post_draft_refuses_new_tags_to_authors():
    author = user_in_role("author")
    with pytest.raises(PermissionDenied):
        services.save_post_draft(
            actor=author, post=None, content=post_content(), new_tag_names=["Mine"]
        )
    assert not Post.objects.exists()


def test_save_post_draft_autosave_creates_no_tags_and_keeps_a_public_address():
    editor = user_in_role("editor")
    post = PostFactory.create(status=S.PUBLISHED, slug="public", author=editor)
    saved = services.save_post_draft(
        actor=editor,
        post=post,
        content=post_content(slug="elsewhere"),
        based_on_version=post.version,
        new_tag_names=["Later"],
        autosave=True,
    )
    assert saved.post.slug == "public"
    assert "when you press Save" in saved.slug_note
    assert not Tag.objects.filter(slug="later").exists()
    assert Revision.objects.filter(post=post).values_list("note", flat=True)[0] == "autosave"


def test_save_post_draft_autosave_keeps_saving_when_the_address_is_taken():
    author = user_in_role("author")
    PostFactory.create(slug="taken")
    post = services.start_post(actor=author, content=post_content())
    saved = services.save_post_draft(
        actor=author,
        post=post,
        content=post_content(slug="taken", body="New text."),
        based_on_version=post.version,
        autosave=True,
    )
    assert (saved.post.slug, saved.post.body) == ("on-small-tools", "New text.")
    assert "belongs to another post" in saved.slug_note


def test_save_post_draft_keeps_featuring_for_people_who_may_not_publish():
    author = user_in_role("author")
    post = services.start_post(actor=author, content=post_content())
    Post.objects.filter(pk=post.pk).update(featured=True)
    post.refresh_from_db()
    saved = services.save_post_draft(
        actor=author, post=post, content=post_content(featured=False), based_on_version=post.version
    )
    assert saved.post.featured is True


def test_save_post_draft_refuses_a_stale_version():
    author = user_in_role("author")
    post = services.start_post(actor=author, content=post_content())
    services.update_post(
        actor=author, post=post, content=post_content(body="Newer."), based_on_version=1
    )
    with pytest.raises(EditConflictError):
        services.save_post_draft(
            actor=author, post=post, content=post_content(body="Mine."), based_on_version=1
        )


def test_save_post_draft_sets_and_removes_the_cover(media):
    author = user_in_role("author")
    post = services.start_post(actor=author, content=post_content())
    saved = services.save_post_draft(
        actor=author,
        post=post,
        content=post_content(cover_alt="A red square"),
        based_on_version=post.version,
        cover=_png(),
    )
    assert saved.post.cover_image.name
    removed = services.save_post_draft(
        actor=author,
        post=saved.post,
        content=post_content(),
        based_on_version=saved.post.version,
        remove_cover=True,
    )
    post.refresh_from_db()
    assert not removed.post.cover_image
    assert not post.cover_image


def test_set_post_category_writes_a_new_version_and_keeps_the_rest():
    editor = user_in_role("editor")
    tag = TagFactory.create()
    post = PostFactory.create(tags=[tag])
    category = CategoryFactory.create()
    moved = services.set_post_category(
        actor=editor, post=post, category=category, based_on_version=post.version
    )
    assert moved.category == category
    assert moved.version == post.version + 1
    assert (moved.title, moved.body, list(moved.tags.all())) == (post.title, post.body, [tag])


def test_set_post_category_refuses_other_authors_posts():
    with pytest.raises(PermissionDenied):
        services.set_post_category(
            actor=user_in_role("author"),
            post=PostFactory.create(),
            category=None,
            based_on_version=1,
        )


def test_apply_move_makes_a_one_click_move():
    editor = user_in_role("editor")
    post = PostFactory.create(status=S.IN_REVIEW)
    assert services.apply_move(actor=editor, post=post, move="publish").status == S.PUBLISHED


@pytest.mark.parametrize("move", ["schedule", "send_back", "delete"])
def test_apply_move_refuses_moves_that_need_input_or_do_not_exist(move):
    post = PostFactory.create(status=S.IN_REVIEW)
    with pytest.raises(ValidationError, match="one click"):
        services.apply_move(actor=user_in_role("editor"), post=post, move=move)


def test_one_click_moves_leave_out_the_moves_that_need_input():
    post = PostFactory.create(status=S.IN_REVIEW)
    names = [move.name for move in services.one_click_moves(user_in_role("editor"), post)]
    assert names == ["publish"]
