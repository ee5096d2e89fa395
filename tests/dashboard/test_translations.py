"""The dashboard's translations page: states, starting a translation, outdated and its diff."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.content import PostContent
from apps.blog.models import Post
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db


def _page(post):
    return reverse("dashboard:post_translations", args=[post.pk])


def _start(post):
    return reverse("dashboard:translation_create", args=[post.pk])


def test_the_page_lists_each_language_with_its_state(client, login_as):
    editor = login_as(Role.EDITOR)
    source = services.start_post(actor=editor, content=PostContent(title="Hello", body="One.\n"))
    services.create_translation(actor=editor, source=source, language="de")
    html = client.get(_page(source)).content.decode()
    assert 'data-language="en" data-state="draft"' in html
    assert 'data-language="de" data-state="draft"' in html
    assert 'data-language="ar" data-state="missing"' in html
    assert "Translate into Arabic" in html


def test_starting_a_translation_opens_its_draft_in_the_editor(client, login_as):
    editor = login_as(Role.EDITOR)
    source = PostFactory.create()
    response = client.post(_start(source), {"language": "ar"})
    translation = Post.objects.get(translation_of=source, language="ar")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:post_edit", args=[translation.pk])
    assert translation.author == editor


@pytest.mark.parametrize(
    ("language", "message"), [("xx", "does not publish"), ("en", "already in")]
)
def test_a_bad_language_is_refused_with_a_message_and_nothing_stored(
    client, login_as, language, message
):
    login_as(Role.EDITOR)
    source = PostFactory.create()
    response = client.post(_start(source), {"language": language}, follow=True)
    assert message in response.content.decode()
    assert not Post.objects.filter(translation_of=source).exists()


def test_a_second_translation_in_one_language_is_refused(client, login_as):
    editor = login_as(Role.EDITOR)
    source = PostFactory.create()
    services.create_translation(actor=editor, source=source, language="de")
    response = client.post(_start(source), {"language": "de"}, follow=True)
    assert "already has a translation" in response.content.decode()
    assert Post.objects.filter(translation_of=source).count() == 1


def test_an_outdated_translation_is_marked_with_what_changed_until_updated(client, login_as):
    editor = login_as(Role.EDITOR)
    source = services.start_post(actor=editor, content=PostContent(title="Hello", body="One.\n"))
    german = services.create_translation(actor=editor, source=source, language="de")
    assert "data-outdated" not in client.get(_page(source)).content.decode()
    content = services.current_content(source)
    content.body = "One.\n\nA new paragraph.\n"
    services.update_post(actor=editor, post=source, content=content, based_on_version=1)
    html = client.get(_page(source)).content.decode()
    assert 'data-state="draft outdated"' in html
    changes = client.get(reverse("dashboard:translation_changes", args=[german.pk]))
    assert "A new paragraph." in changes.content.decode()
    response = client.post(reverse("dashboard:translation_mark_current", args=[german.pk]))
    assert response.status_code == 302
    assert "data-outdated" not in client.get(_page(source)).content.decode()


def test_readers_and_strangers_cannot_open_it(client, login_as):
    source = PostFactory.create()
    login_as(Role.READER)
    assert client.get(_page(source)).status_code == 403
    assert client.post(_start(source), {"language": "de"}).status_code == 403
    assert not Post.objects.filter(translation_of=source).exists()


def test_an_author_restricted_to_a_language_is_offered_only_that_one(client, login_as):
    author = login_as(Role.AUTHOR, writes_languages=["ar"])
    source = PostFactory.create(author=author, status=Post.Status.DRAFT, published_at=None)
    html = client.get(_page(source)).content.decode()
    assert "Translate into Arabic" in html
    assert "Translate into German" not in html
    client.post(_start(source), {"language": "de"})
    assert not Post.objects.filter(translation_of=source, language="de").exists()


def test_deleting_an_original_asks_about_its_translations_and_does_what_was_chosen(
    client, login_as
):
    editor = login_as(Role.EDITOR)
    bulk = reverse("dashboard:posts_bulk")
    kept = PostFactory.create()
    kept_german = services.create_translation(actor=editor, source=kept, language="de")
    html = client.post(bulk, {"action": "delete", "posts": [kept.pk]}).content.decode()
    assert "data-translations-choice" in html
    client.post(
        bulk, {"action": "delete", "posts": [kept.pk], "confirm": "on", "translations": "keep"}
    )
    kept_german.refresh_from_db()
    assert kept_german.translation_of is None  # kept, now an original
    gone = PostFactory.create()
    gone_arabic = services.create_translation(actor=editor, source=gone, language="ar")
    client.post(
        bulk, {"action": "delete", "posts": [gone.pk], "confirm": "on", "translations": "delete"}
    )
    assert not Post.objects.filter(pk__in=[gone.pk, gone_arabic.pk]).exists()


def test_a_post_without_translations_is_deleted_without_the_question(client, login_as):
    login_as(Role.EDITOR)
    post = PostFactory.create()
    html = client.post(
        reverse("dashboard:posts_bulk"), {"action": "delete", "posts": [post.pk]}
    ).content.decode()
    assert "data-translations-choice" not in html


def test_the_editor_links_to_the_translations_and_names_the_language(client, login_as):
    editor = login_as(Role.EDITOR)
    source = PostFactory.create()
    german = services.create_translation(actor=editor, source=source, language="de")
    html = client.get(reverse("dashboard:post_edit", args=[german.pk])).content.decode()
    assert reverse("dashboard:post_translations", args=[german.pk]) in html
    assert reverse("dashboard:translation_changes", args=[german.pk]) in html
    assert "In German." in html


def test_an_editor_names_a_category_in_each_language(client, login_as):
    from apps.blog.models import Category

    login_as(Role.EDITOR)
    category = Category.objects.create(name="Engineering", slug="engineering")
    url = reverse("dashboard:category_edit", args=[category.pk])
    prefix = f"category-{category.pk}"
    html = client.get(url).content.decode()
    assert f'name="{prefix}-name_de"' in html
    client.post(
        url,
        {
            f"{prefix}-name": "Engineering",
            f"{prefix}-description": "",
            f"{prefix}-name_de": "Technik",
            f"{prefix}-slug_de": "",
            f"{prefix}-name_ar": "",
            f"{prefix}-slug_ar": "",
        },
    )
    category.refresh_from_db()
    assert category.translations == {
        "de": {"name": "Technik", "slug": "technik", "description": ""}
    }
    Category.objects.create(
        name="Technik", slug="technik-2", translations={"de": {"name": "X", "slug": "werk"}}
    )
    response = client.post(
        url,
        {
            f"{prefix}-name": "Engineering",
            f"{prefix}-description": "",
            f"{prefix}-name_de": "Werk",
            f"{prefix}-slug_de": "werk",
            f"{prefix}-name_ar": "",
            f"{prefix}-slug_ar": "",
        },
    )
    assert "already used in this language" in response.content.decode()
    category.refresh_from_db()
    assert category.translations["de"]["slug"] == "technik"


def test_a_new_post_is_written_in_the_chosen_language_with_its_own_address(client, login_as):
    login_as(Role.EDITOR)
    PostFactory.create(slug="hallo-welt")  # English: another language's address
    client.post(
        reverse("dashboard:post_new"), {"title": "Hallo Welt", "body": "Text.", "language": "de"}
    )
    post = Post.objects.get(title="Hallo Welt")
    assert post.language == "de"
    assert post.slug == "hallo-welt"
    assert post.translation_of is None


def test_a_new_post_in_a_language_the_author_may_not_use_is_refused(client, login_as):
    login_as(Role.AUTHOR, writes_languages=["ar"])
    html = client.get(reverse("dashboard:post_new")).content.decode()
    assert 'value="de"' not in html
    client.post(reverse("dashboard:post_new"), {"title": "Nein", "body": "Text.", "language": "de"})
    assert not Post.objects.filter(title="Nein").exists()
