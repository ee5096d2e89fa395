"""The post editor page and its saves: permissions, full page and partials, autosave,
conflicts, preview, image and cover uploads, tags, and the query budget."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post, PostImage, Revision, Tag
from apps.blog.services import PostContent
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _draft(author, *, title="On small tools", body="## Why\n\nBecause *they* last."):
    return services.start_post(actor=author, content=PostContent(title=title, body=body))


def _data(post, **overrides):
    data = {
        "title": post.title,
        "subtitle": post.subtitle,
        "body": post.body,
        "excerpt": post.excerpt,
        "slug": post.slug,
        "category": post.category_id or "",
        "cover_alt": post.cover_alt,
        "seo_title": post.seo_title,
        "seo_description": post.seo_description,
        "canonical_url": post.canonical_url,
        "version": post.version,
    }
    data.update(overrides)
    return data


def _edit(post):
    return reverse("dashboard:post_edit", args=[post.pk])


def _autosave(post):
    return reverse("dashboard:post_autosave", args=[post.pk])


def _png(name="photo.png", size=(800, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --------------------------------------------------------------------------
# Who may open the editor
# --------------------------------------------------------------------------


def test_editor_sends_anonymous_visitors_to_sign_in(client):
    post = PostFactory.create()
    for url in (reverse("dashboard:post_new"), _edit(post)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_editor_autosave_without_a_session_redirects_the_whole_page(client):
    post = PostFactory.create()
    response = client.post(_autosave(post), {"title": "x", "body": "y"}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))
    assert Post.objects.get(pk=post.pk).title == post.title


def test_editor_is_forbidden_to_readers(client, login_as):
    login_as(Role.READER)
    post = PostFactory.create()
    assert client.get(reverse("dashboard:post_new")).status_code == 403
    assert client.get(_edit(post)).status_code == 403
    assert client.post(_autosave(post), _data(post, title="Hacked")).status_code == 403
    assert Post.objects.get(pk=post.pk).title == post.title


def test_authors_edit_only_their_own_posts(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    own = _draft(author)
    other = _draft(make_user(Role.AUTHOR), title="Not mine")
    coauthored = _draft(make_user(Role.AUTHOR), title="Shared")
    coauthored.coauthors.add(author)
    assert client.get(_edit(own)).status_code == 200
    assert client.get(_edit(other)).status_code == 403
    # apps.accounts.permissions: post.edit is the author's (or an editor's), not a co-author's.
    assert client.get(_edit(coauthored)).status_code == 403
    response = client.post(_edit(other), _data(other, title="Mine now"))
    assert response.status_code == 403
    assert Post.objects.get(pk=other.pk).title == "Not mine"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_editors_and_admins_edit_any_post(client, login_as, make_user, role):
    login_as(role)
    post = _draft(make_user(Role.AUTHOR))
    assert client.get(_edit(post)).status_code == 200


def test_editor_missing_post_is_404(client, login_as):
    login_as(Role.EDITOR)
    assert client.get(reverse("dashboard:post_edit", args=[999_999])).status_code == 404


def test_editor_saves_only_take_posts(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    assert client.get(_autosave(post)).status_code == 405
    assert client.get(reverse("dashboard:post_preview")).status_code == 405
    assert client.put(_edit(post)).status_code == 405


def test_editor_saves_need_a_csrf_token(make_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    author = make_user(Role.AUTHOR)
    client.force_login(author)
    post = _draft(author)
    assert client.post(_autosave(post), _data(post, title="Changed")).status_code == 403
    assert Post.objects.get(pk=post.pk).title == post.title


# --------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------


def test_new_post_page_is_the_full_editor(client, login_as):
    login_as(Role.AUTHOR)
    response = client.get(reverse("dashboard:post_new"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert '<script src="/static/js/editor.js" defer></script>' in html
    assert 'id="post-form"' in html
    assert 'name="draft_key"' in html
    assert 'data-autosave-url="/dashboard/posts/new/autosave/"' in html
    assert "Available once the draft has been saved." in html
    assert 'name="featured"' not in html  # editors only
    assert 'name="new_tags"' not in html  # taxonomy managers only
    assert response["Cache-Control"].startswith("max-age=0")


def test_editor_fields_use_the_form_field_component(client, login_as):
    login_as(Role.EDITOR)
    TagFactory.create(name="craft")
    html = client.get(reverse("dashboard:post_new")).content.decode()
    assert 'data-counter-for="id_excerpt" data-max="400">0/400</span>' in html
    assert 'aria-describedby="id_excerpt_help"' in html
    assert 'data-filter-list="id_tags_options"' in html
    assert "data-filter-item" in html


def test_edit_page_shows_the_post_panels_and_shortcuts(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author, body="## Hello\n\nSome **bold** text.")
    response = client.get(_edit(post))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-post-id="{post.pk}"' in html
    assert f'name="version" id="id_version" value="{post.version}"' in html
    assert 'id="workflow-panel"' in html
    assert "Submit for review" in html
    assert "Publish now" not in html  # an author's allowed moves only
    assert 'id="preview-links"' in html
    # The live preview starts with the server's rendering of the body.
    assert '<h2 id="hello">Hello</h2>' in html
    assert "<strong>bold</strong>" in html
    assert 'aria-keyshortcuts="Control+S Meta+S"' in html
    assert "Keyboard shortcuts" in html
    assert "/posts/on-small-tools/" in html or "on-small-tools" in html


def test_edit_page_over_htmx_is_the_form_region_only(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.get(_edit(post), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<div id="editor-form">')
    assert "HX-Request" in response["Vary"]


def test_editors_get_featured_and_new_tags(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    html = client.get(_edit(post)).content.decode()
    assert 'name="featured"' in html
    assert 'name="new_tags"' in html
    assert "Publish now" in html
    assert "Schedule for later" in html


def test_sent_back_post_shows_the_editors_note_to_the_author(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    services.submit_post(actor=author, post=post)
    editor = make_user(Role.EDITOR)
    services.send_back_post(actor=editor, post=post, note="Tighten the intro, please.")
    html = client.get(_edit(post)).content.decode()
    assert "An editor sent this post back" in html
    assert "Tighten the intro, please." in html


def test_editor_pages_contain_no_inline_script_style_or_handlers(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    services.create_preview_link(actor=post.author, post=post)
    stale = _data(post, title="Mine", version=post.version)
    services.update_post(
        actor=post.author,
        post=post,
        content=PostContent(title="Theirs", body=post.body),
        based_on_version=post.version,
    )
    pages = [
        client.get(reverse("dashboard:post_new")),
        client.get(_edit(post)),
        client.post(_edit(post), stale),  # the conflict notice, as a full page
    ]
    for response in pages:
        html = response.content.decode()
        assert inline_code(html) == []
        for tag, attrs in html_elements(html):
            assert tag != "style"
            if tag == "script":
                assert dict(attrs).get("src")
            for name, _ in attrs:
                assert name != "style", tag
                assert not name.startswith("on"), (tag, name)
                assert not name.startswith("hx-on"), (tag, name)
    assert "unsafe-inline" not in pages[1]["Content-Security-Policy"]


def test_editor_page_query_count_does_not_grow_with_choices(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))

    def add(count):
        for _ in range(count):
            TagFactory.create()
            CategoryFactory.create()
            make_user(Role.AUTHOR)
        post.tags.set(Tag.objects.all())

    def queries():
        url = _edit(post)
        client.get(url)
        clear_cache()
        with count_queries() as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx)

    add(1)
    few = queries()
    add(20)
    many = queries()
    assert few == many, (few, many)
    assert many <= 17, many  # 16 + the header's notification bell (one query)


# --------------------------------------------------------------------------
# Explicit saves
# --------------------------------------------------------------------------


def test_save_without_htmx_redirects_back_to_the_editor(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_edit(post), _data(post, title="Better title", subtitle="Sub"))
    assert response.status_code == 302
    assert response["Location"] == _edit(post)
    post.refresh_from_db()
    assert (post.title, post.subtitle, post.version) == ("Better title", "Sub", 2)


def test_save_over_htmx_rerenders_the_form_with_the_new_version(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        _edit(post), _data(post, title="Better", slug="Better Address"), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="saved"' in html
    assert 'name="version" id="id_version" value="2"' in html
    assert 'value="better-address"' in html  # the address as stored
    assert "<html" not in html
    post.refresh_from_db()
    assert post.slug == "better-address"


def test_invalid_save_shows_errors_and_saves_nothing(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        _edit(post), _data(post, title="", canonical_url="not a url"), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "A post needs a title." in html
    assert 'aria-invalid="true"' in html
    assert "Enter a valid URL." in html
    assert Post.objects.get(pk=post.pk).version == 1


def test_slug_collision_is_a_clear_error_on_the_address(client, login_as):
    author = login_as(Role.AUTHOR)
    PostFactory.create(slug="taken")
    post = _draft(author)
    response = client.post(_edit(post), _data(post, slug="taken"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "The address “taken” is already used by another post." in html
    assert 'id="id_slug_errors"' in html
    assert Post.objects.get(pk=post.pk).slug == "on-small-tools"


def test_new_post_save_creates_it_and_continues_on_its_edit_page(client, login_as):
    author = login_as(Role.AUTHOR)
    data = {"title": "Fresh", "body": "Text.", "draft_key": "a" * 32}
    response = client.post(reverse("dashboard:post_new"), data, headers=HTMX)
    post = Post.objects.get()
    assert post.author == author
    assert response["HX-Redirect"] == _edit(post)
    # The same page saving again (its answer was lost) does not make a second post.
    client.post(reverse("dashboard:post_new"), {**data, "title": "Fresher"}, headers=HTMX)
    assert Post.objects.get().title == "Fresher"


def test_new_post_without_htmx_redirects(client, login_as):
    login_as(Role.AUTHOR)
    response = client.post(reverse("dashboard:post_new"), {"title": "Fresh", "body": "Text."})
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _edit(post)


def test_new_post_invalid_saves_nothing(client, login_as):
    login_as(Role.AUTHOR)
    response = client.post(reverse("dashboard:post_new"), {"title": "", "body": ""}, headers=HTMX)
    assert response.status_code == 422
    assert "Write something in the body first." in response.content.decode()
    assert not Post.objects.exists()


def test_authors_cannot_feature_or_invent_tags(client, login_as):
    author = login_as(Role.AUTHOR)
    tag = TagFactory.create(name="existing")
    post = _draft(author)
    client.post(_edit(post), _data(post, featured="on", new_tags="brand-new", tags=[tag.pk]))
    post.refresh_from_db()
    assert post.featured is False
    assert list(post.tags.all()) == [tag]
    assert not Tag.objects.filter(slug="brand-new").exists()


def test_editors_feature_and_add_new_tags(client, login_as, make_user):
    login_as(Role.EDITOR)
    TagFactory.create(name="Python")
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(
        _edit(post), _data(post, featured="on", new_tags="python, Static sites , static sites")
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.featured is True
    assert sorted(tag.name for tag in post.tags.all()) == ["Python", "Static sites"]


def test_a_refused_save_creates_no_tags(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    services.update_post(
        actor=post.author,
        post=post,
        content=PostContent(title="Theirs", body=post.body),
        based_on_version=1,
    )
    response = client.post(_edit(post), _data(post, version=1, new_tags="fresh"), headers=HTMX)
    assert response.status_code == 409
    assert not Tag.objects.filter(slug="fresh").exists()


def test_featured_stays_when_an_author_saves_an_editors_choice(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    Post.objects.filter(pk=post.pk).update(featured=True)
    post.refresh_from_db()
    client.post(_edit(post), _data(post, title="Edited"))
    assert Post.objects.get(pk=post.pk).featured is True


def test_coauthors_are_offered_and_saved(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    partner = make_user(Role.AUTHOR, display_name="Pat Partner")
    reader = make_user(Role.READER, display_name="Rita Reader")
    post = _draft(author)
    html = client.get(_edit(post)).content.decode()
    assert "Pat Partner" in html
    assert "Rita Reader" not in html
    client.post(_edit(post), _data(post, coauthors=[partner.pk]))
    assert list(Post.objects.get(pk=post.pk).coauthors.all()) == [partner]
    response = client.post(_edit(post), _data(post, version=2, coauthors=[reader.pk]), headers=HTMX)
    assert response.status_code == 422


# --------------------------------------------------------------------------
# Autosave and conflicts
# --------------------------------------------------------------------------


def test_autosave_saves_and_returns_the_status_with_the_new_version(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_autosave(post), _data(post, body="Draft two."), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="save-status"' in html
    assert "Saved at" in html
    assert 'data-version="2"' in html
    assert (
        '<input type="hidden" name="version" id="id_version" value="2" hx-swap-oob="true">' in html
    )
    post.refresh_from_db()
    assert (post.body, post.version) == ("Draft two.", 2)
    assert post.revisions.first().note == "autosave"


def test_autosave_refuses_a_stale_version_and_shows_both(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    post = _draft(author, body="Original line.\nSecond line.")
    editor = make_user(Role.EDITOR)
    services.update_post(
        actor=editor,
        post=post,
        content=PostContent(title=post.title, body="Their line.\nSecond line."),
        based_on_version=1,
    )
    response = client.post(
        _autosave(post), _data(post, body="My line.\nSecond line.", version=1), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-state="conflict"' in html
    assert "Someone else saved this post while you were editing" in html
    text = re.sub(r"<[^>]+>", "", html)  # the changed words are marked up inside each line
    assert "Their line." in text
    assert "My line." in text
    assert '<mark class="rounded-sm bg-amber-300' in html
    assert 'name="overwrite_version" value="2"' in html
    assert "Keep editing from theirs" in html
    assert 'hx-swap-oob="true"' in html
    assert 'id="id_version"' not in html  # the page keeps the version it started from
    post.refresh_from_db()
    assert (post.body, post.version) == ("Their line.\nSecond line.", 2)


def test_overwrite_with_mine_is_an_explicit_resubmit(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    services.update_post(
        actor=make_user(Role.EDITOR),
        post=post,
        content=PostContent(title="Theirs", body=post.body),
        based_on_version=1,
    )
    stale = _data(post, title="Mine", version=1)
    conflict = client.post(_edit(post), stale, headers=HTMX)
    assert conflict.status_code == 409
    assert "Overwrite with mine" in conflict.content.decode()
    assert Post.objects.get(pk=post.pk).title == "Theirs"
    response = client.post(_edit(post), {**stale, "overwrite_version": 2}, headers=HTMX)
    assert response.status_code == 200
    post.refresh_from_db()
    assert (post.title, post.version) == ("Mine", 3)
    # Theirs stays in the history.
    assert Revision.objects.filter(post=post, title="Theirs").exists()


def test_autosave_with_invalid_input_saves_nothing(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_autosave(post), _data(post, title=""), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-state="invalid"' in html
    assert "Title: A post needs a title." in html
    assert Post.objects.get(pk=post.pk).version == 1


def test_autosave_creates_a_new_post_once(client, login_as):
    author = login_as(Role.AUTHOR)
    url = reverse("dashboard:post_autosave_new")
    data = {"title": "A start", "body": "First words.", "draft_key": "b" * 32}
    first = client.post(url, data, headers=HTMX)
    post = Post.objects.get()
    html = first.content.decode()
    assert first.status_code == 200
    assert f'data-post-id="{post.pk}"' in html
    assert f'data-edit-url="{_edit(post)}"' in html
    # The side panels become the post's, out of band.
    assert 'id="workflow-panel"' in html
    assert 'id="preview-links"' in html
    assert html.count('hx-swap-oob="true"') >= 4
    # A retry of the same first save (its answer never arrived) updates the same post.
    second = client.post(url, {**data, "body": "First words, more."}, headers=HTMX)
    assert second.status_code == 200
    assert Post.objects.count() == 1
    post.refresh_from_db()
    assert (post.author, post.body, post.version) == (author, "First words, more.", 2)


def test_autosave_of_a_new_post_needs_a_title_and_body(client, login_as):
    login_as(Role.AUTHOR)
    response = client.post(
        reverse("dashboard:post_autosave_new"), {"title": "Only a title"}, headers=HTMX
    )
    assert response.status_code == 422
    assert not Post.objects.exists()


def test_autosave_never_changes_a_public_address(client, login_as):
    author = login_as(Role.AUTHOR)
    post = PostFactory.create(author=author, slug="live-post")
    response = client.post(_autosave(post), _data(post, slug="new-address"), headers=HTMX)
    assert response.status_code == 200
    assert "applied when you press Save" in response.content.decode()
    assert Post.objects.get(pk=post.pk).slug == "live-post"


def test_autosave_keeps_saving_text_when_the_address_is_taken(client, login_as):
    author = login_as(Role.AUTHOR)
    PostFactory.create(slug="taken")
    post = _draft(author)
    response = client.post(_autosave(post), _data(post, slug="taken", body="Kept."), headers=HTMX)
    assert response.status_code == 200
    assert "belongs to another post, so this one stays at “on-small-tools”" in (
        response.content.decode()
    )
    post.refresh_from_db()
    assert (post.slug, post.body) == ("on-small-tools", "Kept.")


def test_an_empty_address_follows_the_title_until_published(client, login_as):
    author = login_as(Role.AUTHOR)
    PostFactory.create(slug="second-thoughts")
    post = _draft(author)
    html = client.get(_edit(post)).content.decode()
    slug_input = next(attrs for tag, attrs in html_elements(html) if ("id", "id_slug") in attrs)
    assert "value" not in dict(slug_input)  # an empty field: the address follows the title
    client.post(_autosave(post), _data(post, title="Second thoughts", slug=""), headers=HTMX)
    post.refresh_from_db()
    assert post.slug == "second-thoughts-2"
    services.publish_post(actor=UserFactory.create(is_superuser=True), post=post)
    client.post(_autosave(post), _data(post, title="Third thoughts", slug="", version=2))
    post.refresh_from_db()
    assert post.slug == "second-thoughts-2"
    html = client.get(_edit(post)).content.decode()
    assert 'value="second-thoughts-2"' in html


def test_autosave_ignores_new_tags_and_cover_files(client, login_as, make_user, media):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(
        _autosave(post),
        {**_data(post), "new_tags": "half-typed", "cover_image": _png()},
        headers=HTMX,
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert not Tag.objects.filter(slug="half-typed").exists()
    assert not post.cover_image


# --------------------------------------------------------------------------
# Preview, images and the cover
# --------------------------------------------------------------------------


def test_preview_renders_sanitised_markdown_as_readers_see_it(client, login_as):
    login_as(Role.AUTHOR)
    body = "## Section\n\n<script>alert(1)</script> *soft* [x](javascript:alert(1))"
    response = client.post(
        reverse("dashboard:post_preview"),
        {"title": "Heading", "excerpt": "Lead.", "body": body},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<article id="editor-preview"')
    assert '<h2 id="section">Section</h2>' in html
    assert "<em>soft</em>" in html
    assert "<script>" not in html
    assert 'href="javascript:' not in html
    assert "Lead." in html


def test_preview_is_for_writers_only(client, login_as):
    login_as(Role.READER)
    assert client.post(reverse("dashboard:post_preview"), {"body": "x"}).status_code == 403


def test_image_upload_returns_the_markdown_snippet(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        reverse("dashboard:post_image", args=[post.pk]),
        {"image": _png("Team photo.png", (1400, 900)), "alt": "Team photo"},
    )
    assert response.status_code == 200
    markdown = response.json()["markdown"]
    assert markdown.startswith("![Team photo](/media/images/")
    assert markdown.endswith("-1280.webp)")
    picture = PostImage.objects.get()
    assert picture.post == post


def test_image_upload_for_a_new_post_has_no_post_yet(client, login_as, media):
    login_as(Role.AUTHOR)
    response = client.post(reverse("dashboard:post_image_new"), {"image": _png()})
    assert response.status_code == 200
    assert PostImage.objects.get().post is None


def test_image_upload_rejects_files_that_are_not_images(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    fake = io.BytesIO(b"not really a picture")
    fake.name = "notes.png"
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {"image": fake})
    assert response.status_code == 400
    assert response.json()["error"] == "That file is not an image we can read."
    assert not PostImage.objects.exists()


def test_image_upload_rejects_large_files(client, login_as, media, monkeypatch):
    from apps.blog.services import media as media_service

    monkeypatch.setattr(media_service, "MAX_BYTES", 100)
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {"image": _png()})
    assert response.status_code == 400
    assert "10 MB or smaller" in response.json()["error"]


def test_image_upload_without_a_file_says_so(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {})
    assert response.status_code == 400
    assert response.json()["error"] == "Choose an image to upload."


def test_image_upload_into_someone_elses_post_is_forbidden(client, login_as, make_user, media):
    login_as(Role.AUTHOR)
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(reverse("dashboard:post_image", args=[post.pk]), {"image": _png()})
    assert response.status_code == 403


def test_cover_upload_is_checked_stored_and_needs_a_description(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    missing_alt = client.post(
        _edit(post), {**_data(post), "cover_image": _png("cover.png")}, headers=HTMX
    )
    assert missing_alt.status_code == 422
    assert "Describe the cover image" in missing_alt.content.decode()
    assert not Post.objects.get(pk=post.pk).cover_image

    response = client.post(
        _edit(post),
        {**_data(post, cover_alt="A red square"), "cover_image": _png("cover.png", (2400, 1200))},
        headers=HTMX,
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.cover_image.name.endswith("-1920.webp")
    assert post.cover_alt == "A red square"
    assert 'alt="A red square"' in response.content.decode()


def test_cover_that_is_not_an_image_saves_nothing(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    fake = io.BytesIO(b"GIF89a but not")
    fake.name = "cover.gif"
    response = client.post(
        _edit(post),
        {**_data(post, title="Changed", cover_alt="x"), "cover_image": fake},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "That file is not an image we can read." in html
    post.refresh_from_db()
    assert (post.title, post.version) == ("On small tools", 1)


def test_cover_can_be_removed(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    client.post(_edit(post), {**_data(post, cover_alt="Red"), "cover_image": _png()})
    post.refresh_from_db()
    assert post.cover_image
    client.post(_edit(post), _data(post, remove_cover="on", cover_alt=""))
    post.refresh_from_db()
    assert not post.cover_image


def test_an_existing_cover_without_a_description_is_refused(client, login_as, media):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    client.post(_edit(post), {**_data(post, cover_alt="Red"), "cover_image": _png()})
    post.refresh_from_db()
    response = client.post(_edit(post), _data(post, cover_alt=""), headers=HTMX)
    assert response.status_code == 422
    assert Post.objects.get(pk=post.pk).cover_alt == "Red"


def test_other_users_are_not_offered_as_coauthors_when_inactive(client, login_as, make_user):
    author = login_as(Role.AUTHOR)
    gone = make_user(Role.AUTHOR, display_name="Gone Writer")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    html = client.get(_edit(_draft(author))).content.decode()
    assert "Gone Writer" not in html
    assert UserFactory._meta.model.objects.filter(pk=gone.pk).exists()
