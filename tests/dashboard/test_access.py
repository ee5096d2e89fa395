"""Who may open which dashboard page, and what the layout shows them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts.roles import Role
from apps.core.errors import permission_denied
from tests.utils import inline_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PAGES = ["dashboard:home", "dashboard:users", "dashboard:audit_log", "dashboard:lockouts"]
ADMIN_PAGES = PAGES[1:]

# page → the roles that may open it (anyone else signed in gets 403)
ALLOWED = {
    "dashboard:home": {Role.AUTHOR, Role.EDITOR, Role.ADMIN},
    "dashboard:users": {Role.ADMIN},
    "dashboard:audit_log": {Role.ADMIN},
    "dashboard:lockouts": {Role.ADMIN},
}


@pytest.mark.parametrize("page", PAGES)
def test_dashboard_pages_send_anonymous_visitors_to_sign_in(client, page):
    url = reverse(page)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_dashboard_htmx_request_without_a_session_redirects_the_whole_page(client):
    response = client.get(reverse("dashboard:users"), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("page", PAGES)
def test_dashboard_pages_answer_by_role(client, login_as, role, page):
    login_as(role)
    response = client.get(reverse(page))
    assert response.status_code == (200 if role in ALLOWED[page] else 403)


def test_dashboard_403_is_the_styled_page_naming_the_role(client, login_as):
    login_as(Role.READER)
    response = client.get(reverse("dashboard:home"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "You don’t have access to this page" in html
    assert "<html" in html
    assert not inline_code(html)


def test_permission_denied_handler_renders_the_role(make_user):
    request = RequestFactory().get("/dashboard/")
    request.user = make_user(Role.READER)
    response = permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "reader</span> role" in html
    request.user = AnonymousUser()
    assert "only for signed-in members" in permission_denied(request).content.decode()


def test_deactivated_account_cannot_open_the_dashboard(client, make_user):
    user = make_user(Role.AUTHOR)
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _nav_links(html: str) -> set[str]:
    nav = html[
        html.index('aria-label="Dashboard"') : html.index(
            "</nav>", html.index('aria-label="Dashboard"')
        )
    ]
    return {reverse(page) for page in PAGES if f'href="{reverse(page)}"' in nav}


def test_author_navigation_has_no_admin_pages(client, login_as):
    login_as(Role.AUTHOR)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert _nav_links(html) == {reverse("dashboard:home")}
    assert "Administration" not in html


def test_editor_navigation_has_no_admin_pages(client, login_as):
    login_as(Role.EDITOR)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert _nav_links(html) == {reverse("dashboard:home")}


def test_admin_navigation_shows_every_page_and_marks_the_current_one(client, login_as):
    login_as(Role.ADMIN)
    html = client.get(reverse("dashboard:audit_log")).content.decode()
    assert _nav_links(html) == {reverse(page) for page in PAGES}
    current = html[: html.index('aria-current="page"')]
    assert current.rindex(f'href="{reverse("dashboard:audit_log")}"') > current.rindex("<a ")


def test_superuser_without_a_role_group_is_an_admin(client, make_user, verified_login):
    user = make_user(is_superuser=True, is_staff=True)
    verified_login(client, user)
    for page in PAGES:
        assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_dashboard_pages_have_no_inline_code(client, login_as, page):
    login_as(Role.ADMIN)
    html = client.get(reverse(page)).content.decode()
    assert not inline_code(html)
    assert " style=" not in html
    assert " onclick=" not in html


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_refuse_posts_they_do_not_take(client, login_as, page):
    login_as(Role.ADMIN)
    assert client.post(reverse(page)).status_code == 405
