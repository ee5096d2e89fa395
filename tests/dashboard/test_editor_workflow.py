"""The editor's workflow panel and preview links."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post, PreviewLink
from apps.blog.services import PostContent

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
S = Post.Status


def _draft(author):
    return services.start_post(
        actor=author, content=PostContent(title="On small tools", body="Because they last.")
    )


def _move(post, move):
    return reverse("dashboard:post_move", args=[post.pk, move])


def _local(moment, zone):
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


# --------------------------------------------------------------------------
# Simple moves
# --------------------------------------------------------------------------


def test_author_submits_for_review_and_the_panel_rerenders(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_move(post, "submit"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<section id="workflow-panel"')
    assert "Submitted for review." in html
    assert "In review" in html
    assert Post.objects.get(pk=post.pk).status == S.IN_REVIEW


def test_move_without_htmx_redirects_with_a_message(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_move(post, "submit"), follow=True)
    assert response.redirect_chain == [(reverse("dashboard:post_edit", args=[post.pk]), 302)]
    assert "Submitted for review." in response.content.decode()


def test_author_cannot_publish_and_sees_why(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(_move(post, "publish"), headers=HTMX)
    assert response.status_code == 200
    assert "You may not publish now this post." in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


def test_illegal_move_shows_the_services_error(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(_move(post, "archive"), headers=HTMX)
    html = response.content.decode()
    assert "cannot be moved that way" in html
    assert 'role="alert"' in html
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


def test_editor_publishes_then_archives(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    client.post(_move(post, "publish"), headers=HTMX)
    assert Post.objects.get(pk=post.pk).status == S.PUBLISHED
    response = client.post(_move(post, "archive"), headers=HTMX)
    assert "Archived" in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == S.ARCHIVED


def test_unknown_move_is_404(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    assert client.post(_move(post, "delete"), headers=HTMX).status_code == 404


def test_moves_on_someone_elses_post_are_forbidden(client, login_as, make_user):
    login_as(Role.AUTHOR)
    post = _draft(make_user(Role.AUTHOR))
    assert client.post(_move(post, "submit"), headers=HTMX).status_code == 403
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


# --------------------------------------------------------------------------
# Schedule, unpublish time, send back
# --------------------------------------------------------------------------


def test_schedule_reads_the_time_in_the_sites_zone(client, login_as, make_user, settings):
    settings.TIME_ZONE = "America/New_York"
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    publish_at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    unpublish_at = publish_at + timedelta(days=7)
    response = client.post(
        reverse("dashboard:post_schedule", args=[post.pk]),
        {
            "publish_at": _local(publish_at, "America/New_York"),
            "unpublish_at": _local(unpublish_at, "America/New_York"),
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Scheduled for" in html
    assert "America/New_York" in html
    post.refresh_from_db()
    assert post.status == S.SCHEDULED
    assert post.published_at == publish_at
    assert post.unpublish_at == unpublish_at


def test_schedule_in_the_past_shows_the_services_error(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    past = timezone.now() - timedelta(hours=2)
    response = client.post(
        reverse("dashboard:post_schedule", args=[post.pk]),
        {"publish_at": _local(past, "UTC")},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose a time in the future, or publish now." in html
    assert "<details" in html
    assert " open>" in html  # the form stays open, with the value
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


def test_schedule_without_a_time_says_so(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    response = client.post(reverse("dashboard:post_schedule", args=[post.pk]), {}, headers=HTMX)
    assert "Choose when to publish." in response.content.decode()


def test_authors_cannot_schedule(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    future = timezone.now() + timedelta(days=1)
    response = client.post(
        reverse("dashboard:post_schedule", args=[post.pk]),
        {"publish_at": _local(future, "UTC")},
        headers=HTMX,
    )
    assert "You may not schedule this post." in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


def test_schedule_form_shows_the_site_zone(client, login_as, make_user, settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    html = client.get(reverse("dashboard:post_edit", args=[post.pk])).content.decode()
    assert "Europe/Lisbon time (the site’s time zone)." in html
    assert 'type="datetime-local"' in html
    assert 'data-site-time="Europe/Lisbon"' in html


def test_unpublish_time_for_a_published_post(client, login_as, make_user):
    login_as(Role.EDITOR)
    post = _draft(make_user(Role.AUTHOR))
    services.publish_post(actor=make_user(Role.EDITOR), post=post)
    when = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    response = client.post(
        reverse("dashboard:post_unpublish_time", args=[post.pk]),
        {"unpublish_at": _local(when, "UTC")},
        headers=HTMX,
    )
    assert "It will be taken off the site on" in response.content.decode()
    assert Post.objects.get(pk=post.pk).unpublish_at == when
    cleared = client.post(
        reverse("dashboard:post_unpublish_time", args=[post.pk]), {"unpublish_at": ""}, headers=HTMX
    )
    assert "It stays on the site" in cleared.content.decode()
    assert Post.objects.get(pk=post.pk).unpublish_at is None


def test_send_back_with_a_note(client, login_as, make_user):
    author = make_user(Role.AUTHOR)
    post = _draft(author)
    services.submit_post(actor=author, post=post)
    login_as(Role.EDITOR)
    response = client.post(
        reverse("dashboard:post_send_back", args=[post.pk]),
        {"note": "The second section needs sources."},
        headers=HTMX,
    )
    assert "Sent back to the author" in response.content.decode()
    post.refresh_from_db()
    assert post.status == S.DRAFT
    assert post.review_note == "The second section needs sources."


def test_send_back_without_a_note_is_refused(client, login_as, make_user):
    author = make_user(Role.AUTHOR)
    post = _draft(author)
    services.submit_post(actor=author, post=post)
    login_as(Role.EDITOR)
    response = client.post(
        reverse("dashboard:post_send_back", args=[post.pk]), {"note": "  "}, headers=HTMX
    )
    assert "Tell the author what to change." in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == S.IN_REVIEW


# --------------------------------------------------------------------------
# Preview links
# --------------------------------------------------------------------------


def test_preview_link_create_shows_a_working_url(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        reverse("dashboard:preview_link_create", args=[post.pk]), {"hours": 48}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<section id="preview-links"')
    assert "Preview link created." in html
    link = PreviewLink.objects.get()
    assert timedelta(hours=47) < link.expires_at - timezone.now() <= timedelta(hours=48)
    url = html.split(f'id="preview-link-{link.pk}" type="text" value="')[1].split('"')[0]
    assert url.startswith("http://testserver/preview/")
    client.logout()
    assert (
        "Because they last." in client.get(url.removeprefix("http://testserver")).content.decode()
    )


def test_preview_link_hours_are_bounded(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(
        reverse("dashboard:preview_link_create", args=[post.pk]), {"hours": 0}, headers=HTMX
    )
    assert "A preview link lasts between 1 and 336 hours." in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_preview_link_revoke(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    link, token = services.create_preview_link(actor=author, post=post)
    response = client.post(
        reverse("dashboard:preview_link_revoke", args=[post.pk, link.pk]), headers=HTMX
    )
    html = response.content.decode()
    assert "Preview link revoked" in html
    assert "No active preview links." in html
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(f"/preview/{token}/").status_code == 404


def test_preview_links_of_someone_elses_post_are_forbidden(client, login_as, make_user):
    login_as(Role.AUTHOR)
    owner = make_user(Role.AUTHOR)
    post = _draft(owner)
    link, _ = services.create_preview_link(actor=owner, post=post)
    assert (
        client.post(
            reverse("dashboard:preview_link_create", args=[post.pk]), {"hours": 2}
        ).status_code
        == 403
    )
    revoke = reverse("dashboard:preview_link_revoke", args=[post.pk, link.pk])
    assert client.post(revoke).status_code == 403
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is None


def test_revoking_a_link_of_another_post_is_404(client, login_as):
    author = login_as(Role.AUTHOR)
    post, other = _draft(author), _draft(author)
    link, _ = services.create_preview_link(actor=author, post=other)
    response = client.post(reverse("dashboard:preview_link_revoke", args=[post.pk, link.pk]))
    assert response.status_code == 404


def test_preview_link_create_without_htmx_redirects(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    response = client.post(reverse("dashboard:preview_link_create", args=[post.pk]), {"hours": 2})
    assert response.status_code == 302
    assert PreviewLink.objects.count() == 1


def test_expired_links_are_not_listed(client, login_as):
    author = login_as(Role.AUTHOR)
    post = _draft(author)
    link, _ = services.create_preview_link(actor=author, post=post)
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    html = client.get(reverse("dashboard:post_edit", args=[post.pk])).content.decode()
    assert "No active preview links." in html
