"""The post editor page: who may open it, the full page and the partial, the query budget."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post, Tag
from apps.blog.services import PostContent
from tests.dashboard.conftest import _autosave, _data, _draft, _edit
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


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


def test_settings_sit_in_the_side_panel_and_belong_to_the_form(client, login_as, make_user):
    login_as(Role.EDITOR)
    make_user(Role.AUTHOR)  # someone to name as co-author
    TagFactory.create(name="craft")
    html = client.get(reverse("dashboard:post_new")).content.decode()
    form_end = html.index("</form>", html.index('id="post-form"'))
    panel = html.index('id="editor-settings"')
    # The panel is outside the <form> element; its inputs name the form instead.
    assert panel > form_end
    for name in ("slug", "excerpt", "category", "tags", "new_tags", "coauthors", "cover_image",
                 "cover_alt", "seo_title", "seo_description", "canonical_url", "featured"):  # fmt: skip
        tag = html[html.rindex("<", 0, html.index(f'name="{name}"')) :].split(">", 1)[0]
        assert 'form="post-form"' in tag, name
        assert html.index(f'name="{name}"') > panel, name
    # The text stays inside the form itself.
    for name in ("title", "subtitle", "body"):
        assert html.index(f'name="{name}"') < form_end
    assert 'id="workflow-panel"' in html[panel:]
    assert 'id="preview-links"' in html[panel:]


def test_writing_surface_controls_come_with_the_page(client, login_as):
    login_as(Role.AUTHOR)
    html = client.get(reverse("dashboard:post_new")).content.decode()
    toolbar = html[html.index('role="toolbar"') :]
    toolbar = toolbar[: toolbar.index("</div>")]
    for kind in ("bold", "italic", "heading", "link", "quote", "bullets", "numbers", "code"):
        assert f'data-format="{kind}"' in toolbar
    assert "data-image-pick" in toolbar
    assert 'aria-keyshortcuts="Control+B Meta+B"' in toolbar
    assert "data-format-toolbar hidden" in html  # shown by editor.js: nothing to press without it
    assert "data-word-count hidden" in html
    assert "data-focus-toggle hidden" in html
    assert 'aria-controls="editor-settings" aria-keyshortcuts' in html
    # The preview scrolls by keyboard: focusable, and named.
    assert '<article id="editor-preview"' in html
    preview = html[html.index('<article id="editor-preview"') :].split(">", 1)[0]
    assert 'tabindex="0"' in preview
    assert "aria-label=" in preview


def test_explicit_save_answers_with_the_form_and_its_settings_out_of_band(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_edit(post), _data(post, slug="!!!", title="Kept"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.strip().startswith('<div id="editor-form">')
    assert '<div id="editor-settings-fields" class="space-y-6" hx-swap-oob="true">' in html
    # The settings' errors come back with them.
    settings = html[html.index('id="editor-settings-fields"') :]
    assert "Use letters, numbers and hyphens." in settings


def test_scheduled_post_offers_the_editors_own_time(client, login_as, make_user):
    login_as(Role.EDITOR)
    author = make_user(Role.AUTHOR)
    post = _draft(author)
    Post.objects.filter(pk=post.pk).update(
        status=Post.Status.SCHEDULED, published_at="2030-01-02T03:04:00+00:00"
    )
    html = client.get(_edit(post)).content.decode()
    assert 'data-your-time="2030-01-02T03:04:00+00:00" data-site-zone="UTC" hidden' in html


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
    # 16 + the header's notification bell (one query) + the newsletter choices and the
    # post's "also email" campaign (editors only; issue 13).
    assert many <= 19, many
