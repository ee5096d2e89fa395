"""The public author page shows the profile (avatar, name, bio) above the author's posts."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.placeholders import former_author
from apps.accounts.profile.services import ProfileChanges, update_profile
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import clear_cache, count_queries, html_elements, inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def author():
    user = UserFactory.create(username="ada", display_name="Ada Lovelace")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(out, format="PNG")
    return update_profile(
        actor=user,
        user=user,
        changes=ProfileChanges(
            display_name="Ada Lovelace",
            username="ada",
            bio="Writes about *engines*. <img src=x onerror=alert(1)>",
            avatar=SimpleUploadedFile("a.png", out.getvalue()),
        ),
    )


def test_author_page_shows_the_profile_and_posts(client, author):
    PostFactory.create(author=author, title="Notes on the Engine")
    PostFactory.create(title="Someone else’s post")
    response = client.get("/authors/ada/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "blog/author_detail.html"
    assert "<h1" in html
    assert "Ada Lovelace" in html
    assert "@ada" in html
    assert f'src="{author.avatar.url}"' in html
    assert "<em>engines</em>" in html
    assert "<img src=x" not in html  # the raw HTML was dropped or escaped, never rendered
    assert "Notes on the Engine" in html
    assert "Someone else’s post" not in html
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert all(name != "style" and not name.startswith("on") for name, _ in attrs), tag


def test_author_page_htmx_partial_is_the_post_list(htmx_client, author, settings):
    settings.POSTS_PER_PAGE = 2
    for n in range(3):
        PostFactory.create(author=author, title=f"Post {n}")
    response = htmx_client.get("/authors/ada/?page=2")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="post-list">')
    assert "Ada Lovelace" not in html.split("post-list", 1)[0]
    assert 'Page <span class="font-medium">2</span>' in html
    assert "HX-Request" in response["Vary"]


def test_author_page_without_posts_says_so(client):
    UserFactory.create(username="quiet", display_name="Quiet One")
    html = client.get("/authors/quiet/").content.decode()
    assert "Quiet One hasn’t published anything yet." in html


def test_deactivated_authors_have_no_page_but_the_former_author_does(client):
    UserFactory.create(username="gone", is_active=False)
    assert client.get("/authors/gone/").status_code == 404
    placeholder = former_author()
    PostFactory.create(author=placeholder, title="Kept after deletion")
    response = client.get("/authors/former-author/")
    assert response.status_code == 200
    assert "Kept after deletion" in response.content.decode()


def _queries(client, url: str) -> int:
    clear_cache()
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_author_page_query_count_does_not_grow_with_posts(client, author):
    PostFactory.create(author=author)
    few = _queries(client, "/authors/ada/")
    for _ in range(15):
        PostFactory.create(author=author)
    assert _queries(client, "/authors/ada/") == few
