"""Categories and tags in the dashboard: counts, create, rename inline, delete, merge."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.blog.models import Category, Post, Tag
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CATEGORIES = reverse("dashboard:categories")
TAGS = reverse("dashboard:tags")


def _row(html, prefix, obj):
    start = html.index(f'<tr id="{prefix}-{obj.pk}"')
    return html[start : html.index("</tr>", start)]


# --------------------------------------------------------------------------
# Access and navigation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CATEGORIES, TAGS])
@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.READER, 403), (Role.AUTHOR, 403), (Role.EDITOR, 200), (Role.ADMIN, 200)],
)
def test_taxonomy_pages_answer_by_role(client, login_as, url, role, status):
    login_as(role)
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    "url",
    [
        reverse("dashboard:category_create"),
        reverse("dashboard:tag_create"),
        reverse("dashboard:tags_merge"),
    ],
)
def test_taxonomy_writes_are_refused_to_authors(client, login_as, url):
    login_as(Role.AUTHOR)
    assert client.post(url, {"name": "Sneaky"}, headers=HTMX).status_code == 403
    assert not Category.objects.filter(name="Sneaky").exists()
    assert not Tag.objects.filter(name="Sneaky").exists()


def _nav(html):
    start = html.index('aria-label="Dashboard"')
    return html[start : html.index("</nav>", start)]


def test_navigation_shows_posts_to_authors_and_taxonomy_to_editors(client, login_as):
    login_as(Role.AUTHOR)
    nav = _nav(client.get(reverse("dashboard:home")).content.decode())
    assert f'href="{reverse("dashboard:posts")}"' in nav
    assert f'href="{CATEGORIES}"' not in nav
    assert f'href="{TAGS}"' not in nav
    client.logout()
    login_as(Role.EDITOR)
    nav = _nav(client.get(TAGS).content.decode())
    for url in [reverse("dashboard:posts"), CATEGORIES, TAGS]:
        assert f'href="{url}"' in nav
    current = nav[: nav.index('aria-current="page"')]
    assert current.rindex(f'href="{TAGS}"') > current.rindex("<a ")


# --------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------


def test_categories_page_lists_post_counts_full_and_partial(client, login_as):
    login_as(Role.EDITOR)
    essays = CategoryFactory.create(name="Essays")
    empty = CategoryFactory.create(name="Empty")
    PostFactory.create_batch(3, category=essays)
    PostFactory.create(category=essays, status=Post.Status.DRAFT, published_at=None)
    html = client.get(CATEGORIES).content.decode()
    assert "<html" in html
    assert f'href="{reverse("dashboard:posts")}?category={essays.pk}"' in _row(
        html, "category", essays
    )
    assert "4 posts" in _row(html, "category", essays)
    assert "No posts" in _row(html, "category", empty)
    partial = client.get(CATEGORIES, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="category-panel"')


def test_create_category_over_htmx(client, login_as):
    login_as(Role.EDITOR)
    response = client.post(
        reverse("dashboard:category_create"),
        {"name": "  Field notes ", "description": "From the road"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="category-panel"')
    assert "Added the category “Field notes”." in html
    category = Category.objects.get(slug="field-notes")
    assert (category.name, category.description) == ("Field notes", "From the road")


def test_create_category_duplicate_shows_a_clear_error(client, login_as):
    login_as(Role.EDITOR)
    CategoryFactory.create(name="Essays")
    html = client.post(
        reverse("dashboard:category_create"), {"name": "essays"}, headers=HTMX
    ).content.decode()
    assert "“essays” already exists." in html
    assert 'aria-invalid="true"' in html
    assert 'value="essays"' in html  # what was typed stays
    assert Category.objects.count() == 1


def test_create_category_without_htmx(client, login_as):
    login_as(Role.EDITOR)
    response = client.post(reverse("dashboard:category_create"), {"name": "News"}, follow=True)
    assert response.redirect_chain == [(CATEGORIES, 302)]
    assert "Added the category “News”." in response.content.decode()
    CategoryFactory.create(name="Dupe")
    response = client.post(reverse("dashboard:category_create"), {"name": "Dupe"})
    assert response.status_code == 200
    assert "“Dupe” already exists." in response.content.decode()


def test_rename_category_inline(client, login_as):
    login_as(Role.EDITOR)
    category = CategoryFactory.create(name="Old name", description="Kept")
    edit = reverse("dashboard:category_edit", args=[category.pk])
    form = client.get(edit, headers=HTMX).content.decode()
    assert form.lstrip().startswith(f'<tr id="category-{category.pk}"')
    assert 'value="Old name"' in form
    assert 'value="Kept"' in form
    prefix = f"category-{category.pk}"
    response = client.post(
        edit, {f"{prefix}-name": "New name", f"{prefix}-description": "Kept"}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="category-{category.pk}"')
    assert "Saved." in html
    assert "New name" in html
    category.refresh_from_db()
    assert (category.name, category.slug, category.description) == ("New name", "new-name", "Kept")


def test_rename_category_to_a_taken_name_keeps_the_row_open(client, login_as):
    login_as(Role.EDITOR)
    CategoryFactory.create(name="Taken")
    category = CategoryFactory.create(name="Mine")
    prefix = f"category-{category.pk}"
    html = client.post(
        reverse("dashboard:category_edit", args=[category.pk]),
        {f"{prefix}-name": "TAKEN"},
        headers=HTMX,
    ).content.decode()
    assert "“TAKEN” already exists." in html
    assert f'id="id_{prefix}-name"' in html
    category.refresh_from_db()
    assert category.name == "Mine"


def test_rename_category_without_javascript_opens_the_row_in_the_full_page(client, login_as):
    login_as(Role.EDITOR)
    category = CategoryFactory.create(name="Plain")
    other = CategoryFactory.create(name="Other")
    html = client.get(reverse("dashboard:category_edit", args=[category.pk])).content.decode()
    assert "<html" in html
    assert 'value="Plain"' in _row(html, "category", category)
    assert "Rename" in _row(html, "category", other)  # only one row is open


def test_delete_category_confirms_then_keeps_its_posts(client, login_as):
    login_as(Role.EDITOR)
    category = CategoryFactory.create(name="Going")
    posts = PostFactory.create_batch(2, category=category)
    url = reverse("dashboard:category_delete", args=[category.pk])
    confirm = client.get(url, headers=HTMX).content.decode()
    assert "Delete “Going”?" in confirm
    assert "Its 2 posts stay on the site without a category." in confirm
    assert Category.objects.filter(pk=category.pk).exists()
    html = client.post(url, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<div id="category-panel"')
    assert "Deleted the category “Going”. Its 2 posts now have no category." in html
    assert not Category.objects.filter(pk=category.pk).exists()
    assert list(
        Post.objects.filter(pk__in=[p.pk for p in posts]).values_list("category", flat=True)
    ) == [None, None]


def test_delete_category_without_htmx(client, login_as):
    login_as(Role.EDITOR)
    category = CategoryFactory.create(name="Solo")
    url = reverse("dashboard:category_delete", args=[category.pk])
    page = client.get(url).content.decode()
    assert "<html" in page
    assert "Delete “Solo”?" in page
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(CATEGORIES, 302)]
    assert "Deleted the category “Solo”." in response.content.decode()


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


def test_tags_page_searches_and_paginates(client, login_as):
    login_as(Role.EDITOR)
    for n in range(55):
        TagFactory.create(name=f"topic-{n:02}")
    TagFactory.create(name="python")
    html = client.get(TAGS).content.decode()
    assert 'Page <span class="font-medium">1</span> of <span class="font-medium">2</span>' in html
    partial = client.get(TAGS, {"q": "pyth"}, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="tag-panel"')
    assert "#python" in partial
    assert "#topic-01" not in partial
    assert f'hx-post="{reverse("dashboard:tag_create")}?q=pyth"' in partial


def test_create_and_rename_tag(client, login_as):
    login_as(Role.EDITOR)
    html = client.post(reverse("dashboard:tag_create"), {"name": "Django"}, headers=HTMX)
    assert "Added the tag “Django”." in html.content.decode()
    tag = Tag.objects.get(slug="django")
    duplicate = client.post(reverse("dashboard:tag_create"), {"name": "django"}, headers=HTMX)
    assert "“django” already exists." in duplicate.content.decode()
    prefix = f"tag-{tag.pk}"
    edit = reverse("dashboard:tag_edit", args=[tag.pk])
    assert 'value="Django"' in client.get(edit, headers=HTMX).content.decode()
    row = client.post(edit, {f"{prefix}-name": "Django 5"}, headers=HTMX).content.decode()
    assert row.lstrip().startswith(f'<tr id="tag-{tag.pk}"')
    assert "Saved." in row
    tag.refresh_from_db()
    assert (tag.name, tag.slug) == ("Django 5", "django-5")


def test_merge_tags_moves_posts_and_reports_how_many(client, login_as):
    login_as(Role.EDITOR)
    keep, py, python3 = (TagFactory.create(name=n) for n in ["python", "py", "python3"])
    both = PostFactory.create(tags=[keep, py])
    only_py = PostFactory.create(tags=[py])
    only_3 = PostFactory.create(tags=[python3])
    response = client.post(
        f"{reverse('dashboard:tags_merge')}?q=py",
        {"sources": [py.pk, python3.pk], "target": keep.pk},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="tag-panel"')
    assert "Merged “py”, “python3” into “python”: 3 posts moved." in html
    assert set(Tag.objects.values_list("name", flat=True)) == {"python"}
    for post in (both, only_py, only_3):
        assert list(post.tags.values_list("name", flat=True)) == ["python"]


def test_merge_tags_explains_what_is_missing(client, login_as):
    login_as(Role.EDITOR)
    tag = TagFactory.create(name="lonely")
    url = reverse("dashboard:tags_merge")
    html = client.post(url, {"target": tag.pk}, headers=HTMX).content.decode()
    assert "Tick the tags to merge." in html
    html = client.post(url, {"sources": [tag.pk]}, headers=HTMX).content.decode()
    assert "Choose the tag to merge into." in html
    assert f'value="{tag.pk}" form="merge-form"' in html
    assert " checked" in html
    html = client.post(url, {"sources": [tag.pk], "target": tag.pk}, headers=HTMX).content.decode()
    assert "Choose at least one other tag to merge into this one." in html
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_merge_tags_without_htmx(client, login_as):
    login_as(Role.EDITOR)
    keep, drop = TagFactory.create(name="keep"), TagFactory.create(name="drop")
    PostFactory.create(tags=[drop])
    response = client.post(
        reverse("dashboard:tags_merge"), {"sources": [drop.pk], "target": keep.pk}, follow=True
    )
    assert response.redirect_chain == [(TAGS, 302)]
    assert "Merged “drop” into “keep”: 1 post moved." in response.content.decode()


# --------------------------------------------------------------------------
# Query budget
# --------------------------------------------------------------------------


def _queries(client, url, **headers):
    client.get(url, headers=headers)
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url", [CATEGORIES, TAGS])
def test_taxonomy_query_count_does_not_grow(client, login_as, url):
    login_as(Role.EDITOR)

    def add(count):
        for _ in range(count):
            category, tag = CategoryFactory.create(), TagFactory.create()
            PostFactory.create_batch(2, category=category, tags=[tag])

    add(2)
    few = _queries(client, url)
    add(20)
    many = _queries(client, url)
    assert few == many
    assert many <= 14
