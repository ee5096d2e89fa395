"""After signing up or confirming an address, people return to the page they came from;
confirming a new account's address is not an "email changed" event; sign-ups and 2FA
enrolments are security events the dashboard shows."""

from __future__ import annotations

import re

import pytest

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent
from apps.accounts.selectors import recent_security_events
from apps.accounts.templatetags.accounts_tags import sentence_case
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new@example.com",
    "username": "newbie",
    "password1": "a-long-enough-pass",
    "password2": "a-long-enough-pass",
}


def _confirmation_link(mailoutbox) -> str:
    found = re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", mailoutbox[-1].body)
    assert found, mailoutbox[-1].body
    return found[1]


def test_the_header_links_to_sign_in_and_up_with_the_page_to_return_to(client):
    post = PostFactory.create()
    html = client.get(post.get_absolute_url()).content.decode()
    assert f'href="/accounts/login/?next={post.get_absolute_url().replace("/", "%2F")}"' in html
    assert f'href="/accounts/signup/?next={post.get_absolute_url().replace("/", "%2F")}"' in html


def test_signing_up_returns_to_the_page_and_so_does_confirming(client, mailoutbox):
    post = PostFactory.create()
    response = client.post("/accounts/signup/", {**SIGNUP, "next": post.get_absolute_url()})
    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()
    confirmed = client.post(_confirmation_link(mailoutbox))
    assert confirmed.status_code == 302
    assert confirmed["Location"] == post.get_absolute_url()


def test_an_off_site_next_is_never_followed_after_confirming(client, mailoutbox):
    client.post("/accounts/signup/", {**SIGNUP, "next": "https://evil.example/"})
    confirmed = client.post(_confirmation_link(mailoutbox))
    assert "evil.example" not in confirmed["Location"]


def test_confirming_a_new_accounts_address_is_not_an_email_change(client, mailoutbox):
    client.post("/accounts/signup/", SIGNUP)
    client.post(_confirmation_link(mailoutbox))
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert AuditEvent.Kind.SIGNUP in kinds
    assert AuditEvent.Kind.EMAIL_VERIFIED in kinds
    assert AuditEvent.Kind.EMAIL_CHANGED not in kinds


def test_sign_ups_and_two_factor_enrolments_are_recent_security_events():
    user = UserFactory.create()
    record_event(kind=AuditEvent.Kind.SIGNUP, actor=user, target=user)
    record_event(kind=AuditEvent.Kind.MFA_ENROLLED, actor=user, target=user)
    record_event(kind=AuditEvent.Kind.LOGIN, actor=user, target=user)
    kinds = [event.kind for event in recent_security_events()]
    assert kinds == [AuditEvent.Kind.MFA_ENROLLED, AuditEvent.Kind.SIGNUP]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Verify Your Email Address", "Verify your email address"),
        ("Third-Party Login Failure", "Third-party login failure"),
        ("Sign In Via Google", "Sign in via Google"),
        ("Set Up TOTP", "Set up TOTP"),
        ('<a href="/A/Path">Change Password</a>', '<a href="/A/Path">Change password</a>'),
        ("Sign in to Inkwell", "Sign in to Inkwell"),
    ],
)
def test_sentence_case(heading, expected):
    assert sentence_case(heading) == expected


def test_the_sign_in_page_speaks_in_sentence_case(client):
    html = client.get("/accounts/login/").content.decode()
    assert "Remember me" in html
    assert "Remember Me" not in html
