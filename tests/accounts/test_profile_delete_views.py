"""The account deletion page: confirm with the password (and a second factor), then sign out."""

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.placeholders import FORMER_AUTHOR_USERNAME
from tests.accounts.conftest import PASSWORD, make_email_device, make_totp_device, totp_token
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db

URL = "/accounts/delete/"


def _assert_no_inline_code(html: str) -> None:
    assert inline_code(html) == []
    for tag, attrs in html_elements(html):
        assert tag != "style"
        for name, _ in attrs:
            assert name != "style", tag
            assert not name.startswith("on"), (tag, name)


def test_delete_page_requires_sign_in(client):
    assert reverse("accounts:delete") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(URL, {"password": PASSWORD}).status_code == 302


def test_delete_page_explains_what_happens_and_asks_for_the_password(client):
    client.force_login(UserFactory.create())
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Former author" in html
    assert 'name="password"' in html
    assert 'name="otp_token"' not in html
    assert "csrfmiddlewaretoken" in html
    _assert_no_inline_code(html)


def test_delete_page_asks_for_a_code_when_the_user_has_a_second_factor(client):
    user = UserFactory.create()
    make_totp_device(user)
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert 'name="otp_token"' in html
    assert "Email me a code" not in html


def test_delete_with_a_wrong_password_keeps_the_account(client):
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(URL, {"password": "not-my-password"})
    assert response.status_code == 200
    assert "That password is not right." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_delete_signs_out_and_keeps_the_posts_under_the_former_author(client):
    user = UserFactory.create()
    post = PostFactory.create(author=user, title="Still here")
    client.force_login(user)
    response = client.post(URL, {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("blog:home")
    assert not User.objects.filter(pk=user.pk).exists()
    assert "_auth_user_id" not in client.session
    home = client.get("/").content.decode()
    assert "Your account is deleted. Your post stays online. Goodbye!" in home
    assert "Sign in" in home
    post.refresh_from_db()
    assert post.author.username == FORMER_AUTHOR_USERNAME
    page = client.get(post.author.get_absolute_url())
    assert page.status_code == 200
    assert "Still here" in page.content.decode()


def test_delete_with_a_second_factor_checks_the_code(client, mfa_user):
    device = mfa_user.totpdevice_set.get()
    client.force_login(mfa_user)
    response = client.post(URL, {"password": PASSWORD, "otp_token": "123"})
    assert response.status_code == 200
    assert User.objects.filter(pk=mfa_user.pk).exists()
    response = client.post(URL, {"password": PASSWORD, "otp_token": totp_token(device)})
    assert response.status_code == 302
    assert not User.objects.filter(pk=mfa_user.pk).exists()


def test_delete_page_emails_a_code_to_email_code_users(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory.create()
    make_totp_device(user)
    make_email_device(user)
    client.force_login(user)
    assert "Email me a code" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"action": "send_code"}, follow=True)
    assert response.status_code == 200
    assert "We emailed you a code" in response.content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_page_tells_passwordless_users_to_set_a_password(client):
    user = UserFactory.create(password=None)
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "Set a password" in html
    assert 'name="password"' not in html
