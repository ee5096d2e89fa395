"""Posts in several languages: translations, per-language pages, alternates, the switcher."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import override

from apps.accounts.roles import Role
from apps.blog import selectors, services
from apps.blog.content import PostContent
from apps.blog.models import Post
from tests.accounts.conftest import make_user_with_role
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory, translate
from tests.factories.comments import CommentFactory
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------


def test_a_translation_starts_as_a_linked_draft_copy_with_the_sources_slug():
    tag = TagFactory.create()
    editor = make_user_with_role(Role.EDITOR)
    source = services.start_post(
        actor=editor, content=PostContent(title="Hello", slug="hello", body="Text.", tags=[tag])
    )
    german = services.create_translation(actor=editor, source=source, language="de")
    assert german.language == "de"
    assert german.translation_of == source
    assert german.status == Post.Status.DRAFT
    assert german.slug == "hello"  # slugs are unique within a language only
    assert german.body == source.body
    assert list(german.tags.all()) == [tag]
    latest = services.posts.latest_revision(source.pk)
    assert latest is not None
    assert german.translated_at == latest.created_at


def test_a_translation_of_a_translation_links_to_the_original():
    source = PostFactory.create()
    german = translate(source, "de", title="Hallo")
    editor = make_user_with_role(Role.EDITOR)
    arabic = services.create_translation(actor=editor, source=german, language="ar")
    assert arabic.translation_of_id == source.pk


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "does not publish in"),
        ("en", "already in"),
    ],
)
def test_a_translation_in_a_language_the_site_lacks_or_the_sources_is_refused(language, message):
    source = PostFactory.create()
    editor = make_user_with_role(Role.EDITOR)
    with pytest.raises(ValidationError, match=message):
        services.create_translation(actor=editor, source=source, language=language)
    assert not Post.objects.filter(translation_of=source).exists()


def test_two_translations_in_one_language_are_refused():
    source = PostFactory.create()
    editor = make_user_with_role(Role.EDITOR)
    services.create_translation(actor=editor, source=source, language="de")
    with pytest.raises(ValidationError, match="already has a translation"):
        services.create_translation(actor=editor, source=source, language="de")
    assert Post.objects.filter(translation_of=source).count() == 1


def test_an_author_restricted_to_languages_writes_only_in_them():
    source = PostFactory.create()
    author = make_user_with_role(Role.AUTHOR, writes_languages=["ar"])
    with pytest.raises(PermissionDenied):
        services.create_translation(actor=author, source=source, language="de")
    assert services.create_translation(actor=author, source=source, language="ar").language == "ar"


def test_a_slug_clash_is_checked_within_the_language_only():
    PostFactory.create(slug="taken", language="de")
    source = PostFactory.create(slug="taken")  # English: another language, no clash
    editor = make_user_with_role(Role.EDITOR)
    german = services.create_translation(actor=editor, source=source, language="de")
    assert german.slug != "taken"
    content = services.current_content(german)
    content.slug = "taken"
    with pytest.raises(ValidationError, match="already used by another post in German"):
        services.update_post(
            actor=editor, post=german, content=content, based_on_version=german.version
        )


def _rename(editor, post: Post, slug: str) -> Post:
    content = services.current_content(post)
    content.slug = slug
    return services.update_post(
        actor=editor, post=post, content=content, based_on_version=post.version
    )


def test_an_original_and_its_translation_both_keep_their_old_address_when_they_move(client):
    editor = make_user_with_role(Role.EDITOR)
    source = services.publish_post(
        actor=editor, post=PostFactory.create(slug="harbour", status=Post.Status.DRAFT)
    )
    german = translate(source, "de", title="Der Hafen")
    assert german.slug == "harbour"  # a translation may keep its original's address
    _rename(editor, source, "the-harbour")
    _rename(editor, Post.objects.get(pk=german.pk), "der-hafen")

    english_old = client.get("/posts/harbour/")
    german_old = client.get("/de/posts/harbour/")
    assert (english_old.status_code, english_old["Location"]) == (301, "/posts/the-harbour/")
    assert (german_old.status_code, german_old["Location"]) == (301, "/de/posts/der-hafen/")
    # An old address is taken within its language only.
    other = PostFactory.create(slug="draft-x", language="de", status=Post.Status.DRAFT)
    with pytest.raises(ValidationError, match="already used"):
        _rename(editor, other, "harbour")


def test_a_changed_source_marks_its_translation_outdated_with_the_diff_and_saving_clears_it():
    editor = make_user_with_role(Role.EDITOR)
    source = services.start_post(actor=editor, content=PostContent(title="Hi", body="One.\n"))
    german = translate(source, "de", title="Hallo", publish=False)
    assert not services.is_outdated(german)
    content = services.current_content(source)
    content.body = "One.\n\nTwo.\n"
    services.update_post(actor=editor, post=source, content=content, based_on_version=1)
    german.refresh_from_db()
    assert services.is_outdated(german)
    changes = services.changes_since_translated(german)
    assert changes is not None
    assert any("Two." in "".join(seg.text for seg in line.segments) for line in changes.body)
    row = next(r for r in services.translation_table(source) if r.language == "de")
    assert row.outdated
    content = services.current_content(german)
    content.body = "Eins.\n\nZwei.\n"
    german = services.update_post(
        actor=editor, post=german, content=content, based_on_version=german.version
    )
    german.refresh_from_db()
    assert not services.is_outdated(german)
    assert services.changes_since_translated(german) is None


def test_the_translation_table_lists_every_language_with_its_state():
    source = PostFactory.create()
    translate(source, "de", title="Hallo", publish=False)
    rows = {row.language: row for row in services.translation_table(source)}
    assert list(rows) == ["en", "de", "ar"]
    assert rows["en"].is_source
    assert rows["de"].state == "draft"
    assert rows["ar"].state == "missing"


def test_deleting_a_source_keeps_its_translations_linked_unless_asked():
    editor = make_user_with_role(Role.EDITOR)
    source = PostFactory.create()
    german = translate(source, "de", title="Hallo")
    arabic = translate(source, "ar", title="مرحبا")
    services.delete_post(actor=editor, post=source)
    german.refresh_from_db()
    arabic.refresh_from_db()
    assert german.translation_of is None  # the oldest translation is the original now
    assert arabic.translation_of == german
    services.delete_post(actor=editor, post=german, with_translations=True)
    assert not Post.objects.filter(pk__in=[german.pk, arabic.pk]).exists()


# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------


def test_a_translation_has_its_own_address_language_and_direction(client):
    source = PostFactory.create(title="Hello", slug="hello")
    arabic = translate(source, "ar", title="مرحبا")
    assert arabic.get_absolute_url() == "/ar/posts/hello/"
    html = client.get("/ar/posts/hello/").content.decode()
    assert '<html lang="ar" dir="rtl"' in html
    assert "مرحبا" in html
    english = client.get("/posts/hello/").content.decode()
    assert '<html lang="en" dir="ltr"' in english


def test_a_post_page_names_its_published_versions_as_hreflang_alternates(client):
    source = PostFactory.create(slug="hello")
    translate(source, "de", title="Hallo")
    translate(source, "ar", title="مرحبا", publish=False)  # a draft is no alternate
    html = client.get("/posts/hello/").content.decode()
    links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', html))
    assert links == {
        "en": "http://testserver/posts/hello/",
        "de": "http://testserver/de/posts/hello/",
        "x-default": "http://testserver/posts/hello/",
    }


def test_the_switcher_goes_to_the_translation_and_remembers_the_choice(client):
    source = PostFactory.create(slug="hello")
    german = translate(source, "de", title="Hallo")
    services.update_post(
        actor=make_user_with_role(Role.EDITOR),
        post=german,
        content=PostContent(**{**services.current_content(german).__dict__, "slug": "hallo"}),
        based_on_version=german.version,
    )
    html = client.get("/posts/hello/").content.decode()
    assert "/language/de/?next=%2Fde%2Fposts%2Fhallo%2F" in html
    assert "language" not in client.cookies  # nothing is set before the reader chooses
    response = client.get("/language/de/?next=/posts/hello/")
    assert response.status_code == 302
    assert response["Location"] == "/de/posts/hallo/"
    assert response.cookies["language"].value == "de"
    assert response["Cache-Control"] == "private, no-store"


def test_the_switcher_refuses_other_sites_and_unknown_languages(client):
    response = client.get("/language/de/?next=https://evil.example/")
    assert response["Location"] == "/de/"
    assert client.get("/language/xx/?next=/").status_code == 404


def test_a_signed_in_readers_choice_is_their_language(client):
    user = make_user_with_role(Role.READER)
    client.force_login(user)
    client.get("/language/ar/?next=/")
    user.refresh_from_db()
    assert user.language == "ar"


def test_a_signed_in_persons_saved_language_follows_them_to_a_new_browser(client):
    user = make_user_with_role(Role.READER, language="ar")
    client.force_login(user)  # a new browser: no language cookie
    page = client.get(reverse("account_email"), headers={"Accept-Language": "de"})
    assert page["Content-Language"] == "ar"
    assert 'lang="ar" dir="rtl"' in page.content.decode()
    # This browser's own choice wins; public pages keep their URL's language.
    client.cookies["language"] = "de"
    assert client.get(reverse("account_email"))["Content-Language"] == "de"
    assert client.get("/")["Content-Language"] == "en"
    # The API speaks Accept-Language only.
    api = client.get("/api/v2/posts", headers={"Accept-Language": "en"})
    assert api["Content-Language"] == "en"


def test_a_post_missing_in_a_language_is_a_404_with_links_to_the_languages_it_has(client):
    source = PostFactory.create(slug="hello", title="Hello")
    translate(source, "de", title="Hallo")
    response = client.get("/ar/posts/hello/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'href="/posts/hello/"' in html
    assert 'href="/de/posts/hello/"' in html
    assert client.get("/ar/posts/no-such-post/").status_code == 404


def test_lists_feeds_and_search_show_only_the_pages_language(client):
    source = PostFactory.create(title="English words", slug="english")
    translate(source, "de", title="Deutsche Wörter")
    home = client.get("/").content.decode()
    assert "English words" in home
    assert "Deutsche Wörter" not in home
    german = client.get("/de/").content.decode()
    assert "Deutsche Wörter" in german
    assert "English words" not in german
    feed = client.get("/de/feed/").content.decode()
    assert "Deutsche Wörter" in feed
    assert "English words" not in feed
    assert "<language>de</language>" in feed
    found = client.get("/de/search/?q=Deutsche").content.decode()
    assert "Deutsche Wörter" in found
    assert "Deutsche Wörter" not in client.get("/search/?q=Deutsche").content.decode()


def test_categories_and_tags_have_translated_names_and_slugs(client):
    category = CategoryFactory.create(
        name="Technology",
        slug="technology",
        translations={"de": {"name": "Technik", "slug": "technik"}},
    )
    source = PostFactory.create(category=category)
    translate(source, "de", title="Hallo")
    with override("de"):
        assert category.get_absolute_url() == "/de/categories/technik/"
    html = client.get("/de/categories/technik/").content.decode()
    assert "Technik" in html
    assert "Hallo" in html
    # Another language's slug goes to this language's address.
    response = client.get("/de/categories/technology/")
    assert response.status_code == 301
    assert response["Location"] == "/de/categories/technik/"
    assert client.get("/categories/technology/").status_code == 200


def test_the_sitemap_lists_every_language_with_alternates(client):
    source = PostFactory.create(slug="hello")
    translate(source, "de", title="Hallo")
    assert client.get("/de/sitemap.xml").status_code == 404  # one sitemap for the site
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/de/posts/hello/</loc>" in xml
    assert 'hreflang="de" href="http://testserver/de/posts/hello/"' in xml
    assert 'hreflang="x-default" href="http://testserver/posts/hello/"' in xml


def _queries(client, url: str) -> int:
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


def test_public_query_budgets_do_not_grow_with_translations(client):
    source = PostFactory.create(slug="hello", tags=[TagFactory.create()])
    CommentFactory.create_batch(2, post=source)
    first, *others = PostFactory.create_batch(4)
    translate(first, "de", title="Erste")
    assert source.category is not None
    urls = ["/posts/hello/", "/", "/de/", source.category.get_absolute_url(), "/sitemap.xml"]
    before = [_queries(client, url) for url in urls]
    translate(source, "de", title="Hallo")
    translate(source, "ar", title="مرحبا")
    for other in others:
        translate(other, "de", title=f"Übersetzung {other.pk}")
    after = [_queries(client, url) for url in urls]
    assert after == before
    # A translation's page costs what any post page costs (no comments: 9, see test_views).
    assert _queries(client, "/de/posts/hello/") <= 9


def test_the_language_of_pages_without_one_in_the_url_is_the_readers(client):
    client.cookies["language"] = "de"
    response = client.get(reverse("account_login"))
    assert response["Content-Language"] == "de"
    assert "Accept-Language" in response["Vary"]
    public = client.get("/")
    assert public["Content-Language"] == "en"  # a public page: its URL's language only
    assert "Accept-Language" not in public.get("Vary", "")


def test_the_api_takes_its_language_from_accept_language_only(client):
    client.cookies["language"] = "de"
    response = client.get("/api/v2/posts", headers={"Accept-Language": "ar,en;q=0.5"})
    assert response["Content-Language"] == "ar"


def test_reader_language_paths_cover_every_route_outside_the_public_pages():
    from django.urls import LocalePrefixPattern, get_resolver

    from apps.core.languages import PUBLIC_UNPREFIXED, READER_LANGUAGE_PATHS

    for pattern in get_resolver().url_patterns:
        if isinstance(pattern.pattern, LocalePrefixPattern):
            continue
        route = "/" + str(pattern.pattern).lstrip("^").split("<")[0]
        if route in PUBLIC_UNPREFIXED:
            continue
        assert route.startswith(READER_LANGUAGE_PATHS) or route in {
            p.rstrip("/") for p in READER_LANGUAGE_PATHS
        }, route


def test_published_versions_are_in_the_site_languages_order():
    source = PostFactory.create(slug="hello")
    translate(source, "ar", title="مرحبا")
    translate(source, "de", title="Hallo")
    post = selectors.published_post_by_slug("hello", "en")
    assert post is not None
    assert [v.language for v in selectors.published_versions(post)] == ["en", "de", "ar"]


def test_a_request_leaves_no_language_behind(client):
    from django.utils import translation

    client.get("/ar/")
    assert translation.get_language() == "en"


def test_dates_follow_the_pages_language(client):
    from datetime import datetime

    source = PostFactory.create(slug="dated", published_at=datetime(2026, 3, 5, 12, tzinfo=UTC))
    translate(source, "de", title="Datiert")
    Post.objects.filter(language="de").update(published_at=datetime(2026, 3, 5, 12, tzinfo=UTC))
    assert "March 5, 2026" in client.get("/posts/dated/").content.decode()
    assert "5. März 2026" in client.get("/de/posts/dated/").content.decode()
