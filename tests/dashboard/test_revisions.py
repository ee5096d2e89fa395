"""A post's history: who may see it, comparing two revisions, restoring one."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post, Revision
from tests.factories.blog import PostFactory
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _history(post):
    return reverse("dashboard:post_revisions", args=[post.pk])


def _restore(post, revision):
    return reverse("dashboard:revision_restore", args=[post.pk, revision.pk])


def _write(user, title="First title", bodies=("one\ntwo\nthree",), **fields):
    """A post by `user` saved once per body; the revisions get distinct, increasing times."""
    post = services.start_post(
        actor=user, content=services.PostContent(title=title, body=bodies[0])
    )
    for n, body in enumerate(bodies[1:], start=1):
        post = services.update_post(
            actor=user,
            post=post,
            content=services.PostContent(title=fields.get("titles", {}).get(n, title), body=body),
            based_on_version=post.version,
        )
    start = timezone.now() - timedelta(hours=len(bodies))
    for n, revision in enumerate(Revision.objects.filter(post=post).order_by("id")):
        Revision.objects.filter(pk=revision.pk).update(created_at=start + timedelta(minutes=n))
    return Post.objects.get(pk=post.pk)


def _revisions(post):
    return list(Revision.objects.filter(post=post).order_by("created_at", "id"))


# --------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------


def test_history_full_page_and_htmx_partial(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("one\ntwo", "one\n2"))
    full = client.get(_history(post))
    html = full.content.decode()
    assert full.status_code == 200
    assert "<html" in html
    assert ">2</span> revisions" in html
    partial = client.get(_history(post), headers=HTMX)
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="revision-panel"')
    assert "<html" not in body
    assert "HX-Request" in partial["Vary"]


def test_author_cannot_see_another_authors_history(client, login_as, make_user):
    me = login_as(Role.AUTHOR)
    other = _write(make_user(Role.AUTHOR))
    assert client.get(_history(other)).status_code == 404
    shared = _write(make_user(Role.AUTHOR))
    # A co-author sees the post in the table but cannot edit it, nor open its history.
    shared.coauthors.add(me)
    assert client.get(_history(shared)).status_code == 403


def test_editor_sees_any_posts_history(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _write(make_user(Role.AUTHOR))
    assert client.get(_history(post)).status_code == 200


def test_history_is_forbidden_to_readers(client, login_as, make_user):
    login_as(Role.READER)
    post = _write(make_user(Role.AUTHOR))
    assert client.get(_history(post)).status_code == 403


# --------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------


def test_history_compares_the_two_newest_by_default(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("alpha\nbeta", "alpha\ngamma", "alpha\ndelta"))
    _first, second, _third = _revisions(post)
    html = client.get(_history(post)).content.decode()
    assert (
        f'value="{second.pk}" form="compare-form" class="h-4 w-4 border-slate-300 text-ink-600 focus:ring-ink-500 dark:border-slate-600 dark:bg-slate-800" checked'
        in html
    )
    assert (
        '<del class="no-underline"><span class="rounded-sm bg-red-200 dark:bg-red-900">gamma</span></del>'
        in html
    )
    assert (
        '<ins class="no-underline"><span class="rounded-sm bg-emerald-200 dark:bg-emerald-900">delta</span></ins>'
        in html
    )
    assert "beta" not in html.split('id="diff-heading"')[1]


def test_history_compares_any_two_oldest_first(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(
        author, bodies=("alpha\nbeta", "alpha\ngamma", "alpha\ndelta"), titles={2: "New title"}
    )
    first, _, third = _revisions(post)
    html = client.get(_history(post), {"a": third.pk, "b": first.pk}, headers=HTMX).content.decode()
    diff = html.split('id="diff-heading"')[1]
    assert diff.index("beta") < diff.index("delta")  # old → new, whatever the order chosen
    assert '<span class="sr-only">Before: </span>' in diff
    assert '<span class="rounded-sm bg-emerald-200 dark:bg-emerald-900">New</span> title' in diff


def test_history_escapes_the_text_it_compares(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("safe", "<script>alert(1)</script> <b onclick='x()'>hi</b>"))
    html = client.get(_history(post)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b onclick" not in html


def test_history_with_one_revision_says_there_is_nothing_to_compare(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author)
    html = client.get(_history(post)).content.decode()
    assert "only one revision so far" in html
    assert "Restore this revision" not in html  # the only one is the current text
    assert ">Current</span>" in html


def test_history_ignores_revisions_of_other_posts(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("a", "b"))
    other = _write(author, bodies=("secret text", "more"))
    stranger = _revisions(other)[0]
    html = client.get(_history(post), {"a": stranger.pk}).content.decode()
    assert "secret text" not in html


# --------------------------------------------------------------------------
# Restoring
# --------------------------------------------------------------------------


def test_restore_makes_an_old_revision_current_over_htmx(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("original", "rewritten"), titles={1: "Retitled"})
    first = _revisions(post)[0]
    response = client.post(_restore(post, first), {"version": post.version}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="revision-panel"')
    assert "It is now the current text." in html
    post.refresh_from_db()
    assert (post.title, post.body) == ("First title", "original")
    newest = Revision.objects.filter(post=post).latest("id")
    assert newest.note.startswith("restored the revision of")
    assert newest.author == author


def test_restore_refuses_a_stale_version_with_the_conflict_message(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("original", "rewritten"))
    first = _revisions(post)[0]
    html = client.post(
        _restore(post, first), {"version": post.version - 1}, headers=HTMX
    ).content.decode()
    assert 'role="alert"' in html
    assert "Someone else saved this post while you were editing it" in html
    post.refresh_from_db()
    assert post.body == "rewritten"


def test_restore_without_htmx_redirects_with_a_message(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("original", "rewritten"))
    first = _revisions(post)[0]
    response = client.post(_restore(post, first), {"version": post.version}, follow=True)
    assert response.redirect_chain == [(_history(post), 302)]
    assert "It is now the current text." in response.content.decode()


def test_restore_is_refused_for_another_authors_post_and_over_get(client, login_as, make_user):
    login_as(Role.AUTHOR)
    other = _write(make_user(Role.AUTHOR), bodies=("a", "b"))
    first = _revisions(other)[0]
    assert client.post(_restore(other, first), {"version": other.version}).status_code == 404
    assert client.get(_restore(other, first)).status_code == 405
    other.refresh_from_db()
    assert other.body == "b"


def test_restore_of_a_revision_from_another_post_is_404(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _write(author, bodies=("a", "b"))
    other = _write(author, bodies=("x", "y"))
    response = client.post(_restore(post, _revisions(other)[0]), {"version": post.version})
    assert response.status_code == 404


# --------------------------------------------------------------------------
# Query budget
# --------------------------------------------------------------------------


def _queries(client, url):
    client.get(url)
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_history_query_count_does_not_grow_with_revisions(client, login_as, make_user):
    login_as(Role.EDITOR)
    writers = [make_user(Role.AUTHOR) for _ in range(3)]
    post = PostFactory.create(author=writers[0], status=Post.Status.DRAFT, published_at=None)

    def add(count):
        Revision.objects.bulk_create(
            Revision(post=post, author=writers[n % 3], title=f"T{n}", body=f"body {n}")
            for n in range(count)
        )

    add(3)
    few = _queries(client, _history(post))
    add(40)
    many = _queries(client, _history(post))
    assert few == many
    assert many <= 16
