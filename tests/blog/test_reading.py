"""The reading page and listings: subtitles, the author box, sharing, social cards, comment
counts, featured posts, search snippets and the 404 page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from apps.blog import cards
from apps.blog.models import Post, PreviewLink
from apps.blog.search import SNIPPET_CHARS, snippet_html
from apps.blog.services.previews import signed_token
from apps.comments.models import Comment
from apps.core.templatetags.time_tags import ago
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory, TagFactory
from tests.factories.comments import CommentFactory
from tests.utils import clear_cache, count_queries, html_elements

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _queries(client: Client, url: str) -> int:
    clear_cache()
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


# --- the post page ---------------------------------------------------------------------


def test_post_page_shows_the_subtitle_under_the_title(client):
    post = PostFactory.create(title="On rivers", subtitle="Why water finds its way")
    html = client.get(post.get_absolute_url()).content.decode()
    assert html.index("On rivers</h1>") < html.index("Why water finds its way")


def test_post_page_sets_the_body_for_long_reading(client):
    post = PostFactory.create()
    html = client.get(post.get_absolute_url()).content.decode()
    assert "prose-reading" in html


def test_post_page_ends_with_an_author_box(client):
    author = UserFactory.create(username="ada", display_name="Ada", bio_html="<p>Writes.</p>")
    coauthor = UserFactory.create(display_name="Bo")
    post = PostFactory.create(author=author)
    post.coauthors.add(coauthor)
    html = client.get(post.get_absolute_url()).content.decode()
    box = html[html.index('aria-label="About the authors"') :]
    assert "<p>Writes.</p>" in box
    assert 'href="/authors/ada/"' in box
    assert "More from Bo" in box
    # Anonymous readers are offered sign-in, to come back to this page.
    assert f"/accounts/login/?next={post.get_absolute_url()}" in box


def test_post_page_share_links_need_no_third_party_script(client):
    post = PostFactory.create(title="A & B")
    html = client.get(post.get_absolute_url()).content.decode()
    scripts = [
        dict(attrs).get("src") or "" for tag, attrs in html_elements(html) if tag == "script"
    ]
    # Our own files only: static files and the interface's strings (the JavaScript catalog).
    assert all(src.startswith("/static/") or src == "/jsi18n/" for src in scripts if src)
    for network in ("https://bsky.app/intent/compose?", "https://x.com/intent/post?",
                    "https://www.linkedin.com/sharing/share-offsite/?", "mailto:?"):  # fmt: skip
        assert network in html
    assert "text=A+%26+B" in html
    assert "data-copy-link=" in html
    assert "data-web-share" in html


def test_a_post_without_a_cover_shares_its_social_card(client):
    post = PostFactory.create()
    html = client.get(post.get_absolute_url()).content.decode()
    digest = cards.card_digest(post)
    assert (
        f'<meta property="og:image" content="http://testserver/posts/{post.slug}/card-{digest}.png">'
        in html
    )
    assert '<meta property="og:image:width" content="1200">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_a_post_with_a_cover_shares_the_cover(client):
    post = PostFactory.create(cover_image="covers/2026/01/heron.jpg", cover_alt="A heron")
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'content="http://testserver/media/covers/2026/01/heron.jpg"' in html
    assert "/card-" not in html


def test_the_preview_shows_no_share_links_or_author_box(client):
    post = PostFactory.create(status="draft", published_at=None)
    link = PreviewLink.objects.create(
        post=post,
        token="t0k",
        created_by=post.author,
        expires_at=timezone.now() + timedelta(days=1),
    )
    response = client.get(f"/preview/{signed_token(link)}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview: this post is" in html
    assert "data-copy-link" not in html
    assert "About the author" not in html


# --- social cards ----------------------------------------------------------------------


def test_social_card_is_a_1200_by_630_png_kept_for_a_year(client):
    post = PostFactory.create(title="Card")
    response = client.get(f"/posts/{post.slug}/card-{cards.card_digest(post)}.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (1200, 630)
    assert default_storage.exists(cards.card_name(post))


def test_social_card_is_drawn_once(client, monkeypatch):
    post = PostFactory.create()
    url = f"/posts/{post.slug}/card-{cards.card_digest(post)}.png"
    client.get(url)
    monkeypatch.setattr(cards, "draw_card", lambda **kwargs: pytest.fail("drawn again"))
    assert client.get(url).status_code == 200


def test_a_new_title_draws_a_new_card_and_drops_the_old_one(client):
    post = PostFactory.create(title="Before")
    old_name = cards.social_card(post)
    old_digest = cards.card_digest(post)
    post.title = "After"
    post.save()
    new_name = cards.social_card(post)
    assert new_name != old_name
    assert default_storage.exists(new_name)
    assert not default_storage.exists(old_name)
    # Links shared with the old address still find the card.
    response = client.get(f"/posts/{post.slug}/card-{old_digest}.png")
    assert response.status_code == 301
    assert response["Location"] == f"/posts/{post.slug}/card-{cards.card_digest(post)}.png"


def test_social_card_of_an_unpublished_post_is_404(client):
    draft = PostFactory.create(status="draft", published_at=None)
    assert client.get(f"/posts/{draft.slug}/card-{cards.card_digest(draft)}.png").status_code == 404


def test_card_titles_too_long_for_four_lines_are_cut_with_an_ellipsis():
    png = cards.draw_card(title="word " * 200, author="Ada", site="Inkwell")
    assert Image.open(io.BytesIO(png)).size == (1200, 630)


# --- listings --------------------------------------------------------------------------


def test_cards_show_the_subtitle_and_the_number_of_public_comments(client):
    post = PostFactory.create(subtitle="A subtitle on the card")
    CommentFactory.create_batch(2, post=post)
    CommentFactory.create(post=post, status=Comment.Status.HELD)
    CommentFactory.create(post=post, status=Comment.Status.SPAM)
    quiet = PostFactory.create(title="Quiet one")
    html = client.get("/").content.decode()
    assert "A subtitle on the card" in html
    assert ">2 comments</a>" in html
    card = html[html.index("Quiet one") :]
    assert "comment" not in card[: card.index("</article>")]
    assert quiet.pk


def test_comment_counts_are_not_multiplied_by_matching_tags(client):
    tags = [TagFactory.create(), TagFactory.create()]
    post = PostFactory.create(tags=tags)
    CommentFactory.create(post=post)
    html = client.get(tags[0].get_absolute_url()).content.decode()
    assert ">1 comment</a>" in html


def test_listing_queries_do_not_grow_with_commented_posts(client):
    author = UserFactory.create()
    tag = TagFactory.create()
    for _ in range(2):
        CommentFactory.create(post=PostFactory.create(author=author, tags=[tag]))
    urls = ["/", tag.get_absolute_url(), author.get_absolute_url()]
    few = [_queries(client, url) for url in urls]
    for _ in range(15):
        CommentFactory.create_batch(2, post=PostFactory.create(author=author, tags=[tag]))
    many = [_queries(client, url) for url in urls]
    assert few == many
    assert many[0] <= 8


def test_featured_posts_are_not_repeated_in_the_list_below(client):
    featured = PostFactory.create(title="The featured one", featured=True)
    PostFactory.create(title="An ordinary one")
    html = client.get("/").content.decode()
    assert html.count(featured.get_absolute_url() + '"><span class="absolute') == 1
    assert "An ordinary one" in html


def test_featured_posts_stay_out_of_later_pages(client, settings):
    settings.POSTS_PER_PAGE = 2
    featured = PostFactory.create(title="The featured one", featured=True)
    PostFactory.create_batch(4)
    second_page = client.get("/?page=2").content.decode()
    third_page = client.get("/?page=3").content.decode()
    assert featured.title not in second_page + third_page


# --- search snippets -------------------------------------------------------------------


def _fake_post(body: str) -> Post:
    return Post(body=body)  # unsaved: the snippet reads only the body


def test_search_snippets_start_and_end_on_whole_words():
    words = " ".join(f"word{n:03d}" for n in range(200))
    snippet = snippet_html(_fake_post(words), "word100")
    text = re.sub(r"</?mark>", "", snippet).strip("…")
    pieces = text.split(" ")
    assert all(re.fullmatch(r"word\d{3}", piece) for piece in pieces), pieces[:2] + pieces[-2:]
    assert "<mark>word100</mark>" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    # Whole words at both ends may add a word's length to either side.
    assert len(text) <= SNIPPET_CHARS + 2 * len("word100")


def test_search_snippet_of_a_short_body_has_no_ellipsis():
    assert snippet_html(_fake_post("Rivers and lakes"), "lakes") == "Rivers and <mark>lakes</mark>"


# --- small things ----------------------------------------------------------------------


def test_the_404_page_offers_a_search(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'action="/search/"' in html
    assert 'name="q"' in html


def test_relative_times_say_just_now_under_a_minute():
    assert ago(timezone.now()) == "just now"
    assert ago(timezone.now() - timedelta(seconds=59)) == "just now"
    assert ago(timezone.now() - timedelta(minutes=5)) == "5\xa0minutes ago"
    assert ago(None) == ""


def test_render_posts_gives_stored_bodies_the_new_rendering(client):
    from django.core.management import call_command

    body = '```python\nx = 1\n```\n\n![Heron](https://example.com/h.jpg "At dawn")\n'
    old = PostFactory.create(body=body, body_html="<pre><code>x = 1</code></pre>")
    current = PostFactory.create(body="Plain words, rendered as today.")
    out = io.StringIO()
    call_command("render_posts", stdout=out)
    assert "1 post(s) changed" in out.getvalue()
    old.refresh_from_db()
    assert '<span class="n">x</span>' in old.body_html
    assert "<figcaption>At dawn</figcaption>" in old.body_html
    assert current.pk
    call_command("render_posts", stdout=out)
    assert "0 post(s) changed" in out.getvalue()
