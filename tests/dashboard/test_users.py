import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role, role_of
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
USERS = reverse("dashboard:users")


def _role_url(user):
    return reverse("dashboard:user_role", args=[user.pk])


def test_users_page_full_and_htmx_partial(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.AUTHOR, email="ana@example.com")
    full = client.get(USERS)
    assert full.status_code == 200
    html = full.content.decode()
    assert "<html" in html
    assert "ana@example.com" in html
    assert 'hx-target="#user-results"' in html
    partial = client.get(USERS, {"q": "ana"}, headers=HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="user-results"')
    assert "HX-Request" in partial["Vary"]


def test_users_page_searches_email_username_and_display_name(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(email="ana@example.com", username="ana", display_name="Ana Lima")
    make_user(email="ben@example.com", username="benny", display_name="Ben Okafor")
    for query in ["ana@", "ANA", "lima"]:
        html = client.get(USERS, {"q": query}, headers=HTMX).content.decode()
        assert "ana@example.com" in html
        assert "ben@example.com" not in html
    html = client.get(USERS, {"q": "okafor"}, headers=HTMX).content.decode()
    assert "ben@example.com" in html


def test_users_page_filters_by_role_and_status(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.EDITOR, email="ed@example.com")
    make_user(Role.AUTHOR, email="au@example.com")
    make_user(Role.AUTHOR, email="gone@example.com", is_active=False)
    html = client.get(USERS, {"role": "editor"}, headers=HTMX).content.decode()
    assert "ed@example.com" in html
    assert "au@example.com" not in html
    html = client.get(USERS, {"role": "author", "status": "active"}, headers=HTMX).content.decode()
    assert "au@example.com" in html
    assert "gone@example.com" not in html
    html = client.get(USERS, {"status": "inactive"}, headers=HTMX).content.decode()
    assert "gone@example.com" in html
    assert "au@example.com" not in html
    assert "Deactivated" in html


def test_users_page_ignores_an_unknown_role_filter(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(email="someone@example.com")
    response = client.get(USERS, {"role": "overlord"})
    assert response.status_code == 200
    assert "someone@example.com" in response.content.decode()


def test_users_page_pagination_keeps_the_filters(client, login_as, make_user):
    login_as(Role.ADMIN)
    for n in range(30):
        make_user(Role.AUTHOR, email=f"writer{n:02}@example.com")
    html = client.get(USERS, {"role": "author"}).content.decode()
    assert 'Page <span class="font-medium">1</span> of <span class="font-medium">2</span>' in html
    assert 'href="?role=author&amp;page=2"' in html
    page_two = client.get(USERS, {"role": "author", "page": 2}, headers=HTMX).content.decode()
    assert "writer29@example.com" in page_two
    assert "writer00@example.com" not in page_two


def test_users_page_shows_role_and_second_factor(client, login_as, make_user):
    login_as(Role.ADMIN)
    editor = make_user(Role.EDITOR, email="ed@example.com")
    TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    make_user(Role.EDITOR, email="unenrolled@example.com")
    make_user(Role.READER, email="reader@example.com")
    unconfirmed = make_user(Role.READER, email="pending@example.com")
    TOTPDevice.objects.create(user=unconfirmed, name="phone", confirmed=False)
    html = client.get(USERS).content.decode()

    def row(email):
        start = html.rindex("<tr", 0, html.index(email))
        return html[start : html.index("</tr>", start)]

    assert 'value="editor" selected' in row("ed@example.com")
    assert ">On</span>" in row("ed@example.com")
    assert "Not enrolled" in row("unenrolled@example.com")
    assert ">Off</span>" in row("reader@example.com")
    assert ">Off</span>" in row("pending@example.com")


def _queries(client, url):
    client.get(url)  # the first request of a session also writes to it
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_users_page_query_count_does_not_grow_with_users(client, login_as, make_user):
    login_as(Role.ADMIN)
    roles = list(Role)

    def add(count):
        for n in range(count):
            user = make_user(roles[n % len(roles)])
            if n % 2:
                TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    add(4)  # five listed, with the admin
    few = _queries(client, USERS)
    add(25)  # thirty: a full page of 25
    many = _queries(client, USERS)
    assert few == many
    assert many <= 12


def test_role_change_over_htmx_rerenders_the_row_and_is_audited(client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR, email="ana@example.com")
    response = client.post(_role_url(target), {"role": "editor"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="user-{target.pk}"')
    assert 'value="editor" selected' in html
    assert "Saved." in html
    assert role_of(target) == Role.EDITOR
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ROLE_CHANGED, target=target)
    assert event.actor == admin
    assert event.data == {"from": "author", "to": "editor"}


def test_role_change_with_an_invalid_role_shows_the_error_in_the_row(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR)
    response = client.post(_role_url(target), {"role": "overlord"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="user-{target.pk}"')
    assert 'role="alert"' in html
    assert "not one of the available choices" in html
    assert role_of(target) == Role.AUTHOR
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ROLE_CHANGED).exists()


def test_admin_cannot_change_their_own_role(client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(_role_url(admin), {"role": "reader"}, headers=HTMX)
    assert "You cannot change your own role" in response.content.decode()
    assert role_of(admin) == Role.ADMIN


def test_role_change_without_htmx_redirects_with_a_message(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.READER, email="ana@example.com")
    response = client.post(_role_url(target), {"role": "author"}, follow=True)
    assert response.redirect_chain == [(USERS, 302)]
    assert "ana@example.com is now author." in response.content.decode()
    assert role_of(target) == Role.AUTHOR


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_role_change_is_refused_below_admin(client, login_as, make_user, role):
    login_as(role)
    target = make_user(Role.READER)
    assert client.post(_role_url(target), {"role": "admin"}, headers=HTMX).status_code == 403
    assert role_of(target) == Role.READER


def test_role_change_needs_a_csrf_token(make_user, verified_login):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, make_user(Role.ADMIN))
    target = make_user(Role.READER)
    assert client.post(_role_url(target), {"role": "admin"}).status_code == 403
    assert role_of(target) == Role.READER


def test_role_change_only_takes_posts(client, login_as, make_user):
    login_as(Role.ADMIN)
    assert client.get(_role_url(make_user())).status_code == 405


def test_deactivation_asks_first_inside_the_row(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR)
    url = reverse("dashboard:user_deactivate", args=[target.pk])
    response = client.get(url, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="user-{target.pk}"')
    assert "Deactivate this account?" in html
    assert f'hx-post="{url}"' in html
    target.refresh_from_db()
    assert target.is_active
    cancel = client.get(reverse("dashboard:user_row", args=[target.pk]), headers=HTMX)
    assert "Deactivate this account?" not in cancel.content.decode()


def test_deactivation_confirmation_page_without_htmx(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR, email="ana@example.com")
    response = client.get(reverse("dashboard:user_deactivate", args=[target.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Deactivate account" in html
    assert "ana@example.com" in html


def test_row_partial_without_htmx_goes_back_to_the_list(client, login_as, make_user):
    login_as(Role.ADMIN)
    response = client.get(reverse("dashboard:user_row", args=[make_user().pk]))
    assert response.status_code == 302
    assert response["Location"] == USERS


def test_deactivate_and_reactivate_are_audited_and_end_sessions(client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR)
    Client().force_login(target)
    assert Session.objects.filter(user=target).exists()
    response = client.post(reverse("dashboard:user_deactivate", args=[target.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Deactivated" in html
    assert "Reactivate" in html
    target.refresh_from_db()
    assert not target.is_active
    assert not Session.objects.filter(user=target).exists()
    assert (
        AuditEvent.objects.get(kind=AuditEvent.Kind.USER_DEACTIVATED, target=target).actor == admin
    )

    response = client.post(reverse("dashboard:user_reactivate", args=[target.pk]), follow=True)
    assert response.redirect_chain == [(USERS, 302)]
    target.refresh_from_db()
    assert target.is_active
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_REACTIVATED, target=target).exists()


def test_admin_cannot_deactivate_themselves(client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(reverse("dashboard:user_deactivate", args=[admin.pk]), headers=HTMX)
    assert "You cannot deactivate your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_admin_cannot_deactivate_a_superuser(client, login_as, make_user):
    login_as(Role.ADMIN)
    boss = make_user(is_superuser=True, is_staff=True)
    response = client.post(reverse("dashboard:user_deactivate", args=[boss.pk]), headers=HTMX)
    assert "Only a superuser can deactivate a superuser." in response.content.decode()
    boss.refresh_from_db()
    assert boss.is_active


def test_deactivation_is_refused_below_admin(client, login_as, make_user):
    login_as(Role.EDITOR)
    target = make_user(Role.AUTHOR)
    assert client.post(reverse("dashboard:user_deactivate", args=[target.pk])).status_code == 403
    assert client.get(reverse("dashboard:user_deactivate", args=[target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.is_active


def test_unknown_user_is_404(client, login_as):
    login_as(Role.ADMIN)
    assert (
        client.post(reverse("dashboard:user_role", args=[999999]), {"role": "author"}).status_code
        == 404
    )


# --------------------------------------------------------------------------
# The languages a person writes in
# --------------------------------------------------------------------------


def _languages_url(user):
    return reverse("dashboard:user_languages", args=[user.pk])


def test_admin_restricts_an_author_to_languages_over_htmx_and_it_is_audited(
    client, login_as, make_user
):
    admin = login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR, email="ana@example.com")
    assert "Any language" in client.get(USERS).content.decode()

    response = client.post(_languages_url(target), {"languages": ["ar", "de"]}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="user-{target.pk}"')
    assert "Saved." in html
    assert 'value="de" checked' in html
    assert 'value="ar" checked' in html
    assert 'value="en" checked' not in html
    target.refresh_from_db()
    assert target.writes_languages == ["de", "ar"]  # the site's order
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.WRITES_LANGUAGES_CHANGED, target=target)
    assert (event.actor, event.data) == (admin, {"from": [], "to": ["de", "ar"]})

    # Ticking none, or every language, lifts the restriction.
    client.post(_languages_url(target), {"languages": ["en", "de", "ar"]}, headers=HTMX)
    target.refresh_from_db()
    assert target.writes_languages == []


def test_a_language_the_site_lacks_is_refused_in_the_row(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.EDITOR, writes_languages=["de"])
    response = client.post(_languages_url(target), {"languages": ["fr"]}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "not one of the available choices" in html
    target.refresh_from_db()
    assert target.writes_languages == ["de"]
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.WRITES_LANGUAGES_CHANGED).exists()


def test_languages_without_htmx_redirect_with_a_message(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR, email="ana@example.com")
    response = client.post(_languages_url(target), {"languages": ["de"]}, follow=True)
    assert response.redirect_chain == [(USERS, 302)]
    assert "ana@example.com’s languages were saved." in response.content.decode()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AUTHOR])
def test_only_admins_set_languages(client, login_as, make_user, role):
    login_as(role)
    target = make_user(Role.AUTHOR)
    response = client.post(_languages_url(target), {"languages": ["de"]}, headers=HTMX)
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.writes_languages == []


def test_languages_are_post_only(client, login_as, make_user):
    login_as(Role.ADMIN)
    target = make_user(Role.AUTHOR)
    assert client.get(_languages_url(target)).status_code == 405
