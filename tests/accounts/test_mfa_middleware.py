import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.middleware import RequireMFAMiddleware
from tests.accounts.conftest import (
    OVERVIEW,
    SETUP,
    VERIFY,
    make_totp_device,
    totp_token,
    unthrottle,
    verify_session,
)
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


# --- the gate in front of the dashboard and the admin ----------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/no-such-page/", "/admin/"])
def test_editors_without_2fa_are_sent_to_enrolment(client, editor, path):
    client.force_login(editor)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP}?next=")
    page = client.get(response["Location"]).content.decode()
    assert "Your role (Editor) requires two-factor authentication" in page


def test_staff_without_2fa_are_sent_to_enrolment_from_the_admin(client):
    staff = UserFactory.create(is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_htmx_requests_to_the_dashboard_get_a_client_redirect(client, editor):
    client.force_login(editor)
    response = client.get("/dashboard/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(SETUP)


def test_an_unverified_session_with_a_device_is_sent_to_verify(client, mfa_user):
    client.force_login(mfa_user)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fdashboard%2F"


def test_a_verified_editor_passes_the_gate(client, editor):
    device = make_totp_device(editor)
    client.force_login(editor)
    verify_session(client, device)
    response = client.get("/dashboard/no-such-page/")
    assert response.status_code == 404


def test_readers_without_2fa_are_not_sent_to_enrolment(signed_in):
    response = signed_in.get("/dashboard/no-such-page/")
    assert not response.get("Location", "").startswith(SETUP)


def test_the_gate_leaves_other_pages_alone(client, editor):
    client.force_login(editor)
    assert client.get(OVERVIEW).status_code == 200


def test_the_gate_costs_no_query_for_anonymous_visitors(django_assert_num_queries):
    middleware = RequireMFAMiddleware(lambda request: HttpResponse("ok"))
    factory = RequestFactory()
    for path in ("/", "/dashboard/", "/admin/"):
        request = factory.get(path)
        request.user = AnonymousUser()
        with django_assert_num_queries(0):
            assert middleware(request).status_code == 200


def test_the_gate_does_not_touch_the_user_outside_gated_paths():
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"request.user.{name} was read")

    middleware = RequireMFAMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/posts/hello/")
    request.user = Untouchable()  # type: ignore[assignment]
    assert middleware(request).status_code == 200


def test_unthrottle_helper_resets_backoff(mfa_user):
    # The helper the dashboard tests reuse: a wrong code, then the right one at once.
    from apps.accounts.mfa.services import verify_second_factor

    with pytest.raises(Exception):  # noqa: B017, PT011
        verify_second_factor(user=mfa_user, code="000000", purpose="login")
    unthrottle(mfa_user)
    device = TOTPDevice.objects.get(user=mfa_user)
    assert verify_second_factor(user=mfa_user, code=totp_token(device), purpose="login") == device
