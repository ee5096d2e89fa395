"""allauth's pages render in our layout, obey the CSP, and its mail names the site."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from apps.accounts.models import AuditEvent, User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system
from tests.accounts.conftest import PASSWORD
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db

PROVIDERS = {
    "github": {"APPS": [{"client_id": "gh-id", "secret": "gh-secret"}], "SCOPE": ["read:user"]},
    "google": {"APPS": [{"client_id": "g-id", "secret": "g-secret"}], "SCOPE": ["email"]},
}


def assert_our_layout(html: str) -> None:
    """Our base.html (skip link, header, main landmark, built CSS), no inline code, CSRF."""
    assert "Skip to content" in html
    assert '<main id="main"' in html
    assert "/static/css/dist/styles.css" in html
    assert "<strong>Menu:</strong>" not in html  # allauth's default layout
    assert inline_code(html) == []
    forms = 0
    for tag, attrs in html_elements(html):
        named = dict(attrs)
        assert tag != "style"
        if tag == "script":
            assert named.get("src"), "inline script"
        for name, _ in attrs:
            assert name != "style", tag
            assert not name.startswith("on"), (tag, name)
        if tag == "form" and (named.get("method") or "").lower() == "post":
            forms += 1
    assert html.count('name="csrfmiddlewaretoken"') >= forms


ANONYMOUS_PAGES = [
    ("/accounts/login/", 200, "Sign in to Inkwell"),
    ("/accounts/signup/", 200, "Create your Inkwell account"),
    ("/accounts/password/reset/", 200, "Password reset"),
    ("/accounts/password/reset/done/", 200, "We have sent you an email"),
    ("/accounts/password/reset/key/1-bad-token/", 200, "Bad token"),
    ("/accounts/confirm-email/", 200, "Verify your email address"),
    ("/accounts/confirm-email/no-such-key/", 200, "expired or is invalid"),
    ("/accounts/inactive/", 200, "This account is inactive."),
    ("/accounts/3rdparty/login/cancelled/", 200, "Login cancelled"),
    ("/accounts/3rdparty/login/error/", 401, "Third-party login failure"),
]


@pytest.mark.parametrize(("url", "status", "text"), ANONYMOUS_PAGES)
def test_allauth_entrance_pages_use_our_layout(client, url, status, text):
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == status, url
    assert text in html
    assert "rounded-2xl" in html  # the entrance card
    assert_our_layout(html)


SIGNED_IN_PAGES = [
    ("/accounts/email/", "Email address"),
    ("/accounts/password/change/", "Change password"),
    ("/accounts/logout/", "Are you sure you want to sign out?"),
    ("/accounts/3rdparty/", "Account connections"),
]


@pytest.mark.parametrize(("url", "text"), SIGNED_IN_PAGES)
def test_allauth_account_pages_use_our_settings_layout(client, url, text):
    client.force_login(UserFactory.create())
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200, url
    assert text in html
    assert 'aria-label="Account settings"' in html
    assert_our_layout(html)


def test_reauthenticate_page_uses_the_entrance_card(client):
    client.force_login(UserFactory.create())
    html = client.get("/accounts/reauthenticate/").content.decode()
    assert "Confirm access" in html
    assert 'name="password"' in html
    assert_our_layout(html)


def test_allauth_pages_redirect_anonymous_visitors_to_sign_in(client):
    for url in ["/accounts/email/", "/accounts/password/change/", "/accounts/3rdparty/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_set_password_page_for_accounts_without_one(client):
    client.force_login(UserFactory.create(password=None))
    response = client.get("/accounts/password/set/")
    assert response.status_code == 200
    assert "Set password" in response.content.decode()
    assert_our_layout(response.content.decode())


def test_signup_closed_page_and_header_without_sign_up(client, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = False
    response = client.get("/accounts/signup/")
    html = response.content.decode()
    assert "Sign up closed" in html
    assert_our_layout(html)
    assert 'href="/accounts/signup/"' not in client.get("/accounts/login/").content.decode()


def test_login_errors_render_in_our_form(client):
    user = UserFactory.create()
    response = client.post("/accounts/login/", {"login": user.email, "password": "nope-nope-1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "not correct" in html
    assert_our_layout(html)


def test_signup_mails_a_working_verification_link_that_names_the_site(client, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "username": "newbie",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
        },
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == "Confirm your email address for Inkwell"
    assert mail.to == ["new@example.com"]
    assert mail.body.startswith("Hello from Inkwell,")
    link = re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", mail.body)
    assert link, mail.body
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Confirm email address" in page.content.decode()
    assert_our_layout(page.content.decode())
    assert client.post(link.group(1)).status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EMAIL_VERIFIED).exists()


def test_password_reset_mail_link_sets_a_new_password(client, mailoutbox):
    user = UserFactory.create()
    assert client.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == "Reset your Inkwell password"
    assert "Inkwell" in mail.body
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.body)
    assert link, mail.body
    form_page = client.get(link.group(1), follow=True)
    html = form_page.content.decode()
    assert "password1" in html
    assert_our_layout(html)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": "brand-new-password-1", "password2": "brand-new-password-1"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-password-1")


def test_reset_for_an_unknown_address_mails_a_note_that_names_the_site(client, mailoutbox):
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Sign-in attempt at Inkwell"
    assert "no Inkwell account" in mailoutbox[0].body


def test_lockout_page_says_when_to_try_again(client, settings):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-pass-123"})
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in html
    assert f"There were {settings.AXES_FAILURE_LIMIT} failed attempts" in html
    assert "15 minutes" in html
    assert reverse("account_reset_password") in html
    assert_our_layout(html)


def test_social_buttons_show_only_for_configured_providers(client, settings):
    for url in ("/accounts/login/", "/accounts/signup/"):
        assert "Continue with" not in client.get(url).content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = PROVIDERS
    for url in ("/accounts/login/", "/accounts/signup/"):
        html = client.get(url).content.decode()
        assert "Continue with GitHub" in html
        assert "Continue with Google" in html
        # POST forms straight to the provider login (allauth starts the round trip on POST).
        assert '<form method="post" action="/accounts/github/login/?process=login">' in html
        assert_our_layout(html)


def test_header_offers_sign_in_and_sign_up_to_visitors(client):
    html = client.get("/").content.decode()
    assert 'href="/accounts/login/?next=%2F"' in html
    assert ">Sign in<" in html
    assert 'href="/accounts/signup/?next=%2F"' in html
    assert ">Sign up<" in html
    assert "account menu" not in html


def test_header_account_menu_for_a_reader(client):
    PostFactory.create()  # a category in the navigation
    user = UserFactory.create(display_name="Rae Reader")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "Skip to content" in html
    assert '<nav aria-label="Main"' in html
    assert "<details" in html
    assert "Rae Reader" in html
    assert 'href="/accounts/profile/"' in html
    assert 'href="/accounts/sessions/"' in html
    security = reverse("accounts:mfa_overview")
    assert f'href="{security}"' in html
    assert '<form method="post" action="/accounts/logout/">' in html
    assert ">Dashboard<" not in html
    assert ">Sign up<" not in html
    assert_our_layout(html)


def test_header_shows_the_dashboard_to_authors(client):
    author = grant_role_as_system(user=UserFactory.create(), role=Role.AUTHOR, reason="test")
    client.force_login(author)
    html = client.get("/").content.decode()
    assert f'href="{reverse("dashboard:home")}"' in html
    assert ">Dashboard<" in html


def test_header_sign_out_form_signs_out(client):
    user = UserFactory.create()
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert User.objects.filter(pk=user.pk).exists()
