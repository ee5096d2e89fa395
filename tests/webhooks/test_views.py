import pytest
from django.urls import reverse

from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.webhooks.models import Delivery, Endpoint
from apps.webhooks.payloads import envelope
from apps.webhooks.signing import new_message_id
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LIST = reverse("dashboard:webhooks")
NEW = reverse("dashboard:webhook_new")


def _detail(endpoint):
    return reverse("dashboard:webhook_detail", args=[endpoint.pk])


def _deliveries(endpoint, count):
    Delivery.objects.bulk_create(
        [
            Delivery(
                endpoint=endpoint,
                event_type="post.published",
                message_id=new_message_id(),
                payload=envelope("post.published", {"id": n}),
                status=Delivery.Status.FAILED,
                attempt_count=1,
                attempts=[
                    {
                        "at": "2026-12-06T04:00:00+00:00",
                        "status": 500,
                        "duration_ms": 12,
                        "body": "oops",
                        "error": "HTTP 500: only a 2xx answer counts as delivered.",
                    }
                ],
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AUTHOR, Role.READER])
def test_webhook_pages_are_for_admins_only(client, login_as, make_endpoint, role):
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    login_as(role)
    for url in (LIST, NEW, _detail(endpoint)):
        assert client.get(url).status_code == 403
    response = client.post(reverse("dashboard:webhook_secret", args=[endpoint.pk]))
    assert response.status_code == 403
    assert endpoint.secret not in response.content.decode()
    assert client.post(reverse("dashboard:webhook_delete", args=[endpoint.pk])).status_code == 403
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, htmx_client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert htmx_client.get(LIST).headers["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize(("role", "shown"), [(Role.ADMIN, True), (Role.EDITOR, False)])
def test_the_nav_offers_webhooks_to_admins_only(client, login_as, role, shown):
    login_as(role)
    assert (f'href="{LIST}"' in client.get(reverse("dashboard:home")).content.decode()) is shown


def test_list_page_full_and_partial(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    make_endpoint("http://127.0.0.1:9/on", description="CRM sync")
    make_endpoint(
        "http://127.0.0.1:9/off", enabled=False, disabled_reason="15 failed attempts in a row."
    )
    response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "http://127.0.0.1:9/on" in html
    assert "CRM sync" in html
    assert "15 failed attempts in a row." in html
    partial = client.get(LIST, headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="endpoint-list"')


def test_list_page_queries_do_not_grow_with_endpoints(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    make_endpoint("http://127.0.0.1:9/a")
    client.get(LIST)
    clear_cache()
    with count_queries() as one:
        client.get(LIST)
    for n in range(10):
        make_endpoint(f"http://127.0.0.1:9/{n}")
    clear_cache()
    with count_queries() as many:
        client.get(LIST)
    assert len(one) == len(many)


def test_creating_an_endpoint_audits_it_and_shows_the_secret_once(client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(
        NEW,
        {
            "url": "http://127.0.0.1:9/hook",
            "description": "Search index",
            "events": ["post.published", "post.updated"],
        },
    )
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(endpoint)
    assert endpoint.events == ["post.published", "post.updated"]
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.created_by == admin
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.WEBHOOK_CREATED)
    assert event.actor == admin
    assert event.data["url"] == "http://127.0.0.1:9/hook"
    assert endpoint.secret in client.get(_detail(endpoint)).content.decode()
    assert endpoint.secret not in client.get(_detail(endpoint)).content.decode()


def test_creating_over_htmx_redirects_the_browser(client, login_as):
    login_as(Role.ADMIN)
    response = client.post(NEW, {"url": "http://127.0.0.1:9/x", "events": ["all"]}, headers=HTMX)
    assert response.headers["HX-Redirect"] == _detail(Endpoint.objects.get())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "not a url", "events": ["all"]}, "Use an http:// or https:// URL."),
        ({"url": "ftp://example.com/x", "events": ["all"]}, "Use an http:// or https:// URL."),
        ({"url": "http://127.0.0.1:9/x", "events": []}, "Choose at least one event."),
        ({"url": "http://127.0.0.1:9/x", "events": ["post.exploded"]}, "not one of the available"),
        (
            {"url": "http://user:pw@127.0.0.1/x", "events": ["all"]},
            "Leave user names and passwords",
        ),
    ],
)
def test_form_errors_are_shown_and_nothing_is_stored(client, login_as, data, message):
    login_as(Role.ADMIN)
    response = client.post(NEW, data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="endpoint-form"')
    assert message in html
    assert not Endpoint.objects.exists()


def test_a_private_address_is_refused_when_not_allowed(client, login_as, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    login_as(Role.ADMIN)
    html = client.post(
        NEW, {"url": "http://169.254.169.254/latest", "events": ["all"]}
    ).content.decode()
    assert "only be sent to public addresses" in html
    assert not Endpoint.objects.exists()


def test_editing_changes_the_url_and_audits_it(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://127.0.0.1:9/old")
    edit = reverse("dashboard:webhook_edit", args=[endpoint.pk])
    assert 'value="http://127.0.0.1:9/old"' in client.get(edit).content.decode()
    response = client.post(
        edit, {"url": "http://127.0.0.1:9/new", "events": ["all", "post.updated"]}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == ("http://127.0.0.1:9/new", ["all"])
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.WEBHOOK_UPDATED)
    assert event.data["old_url"] == "http://127.0.0.1:9/old"


def test_detail_page_full_partial_and_query_budget(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    _deliveries(endpoint, 1)
    response = client.get(_detail(endpoint))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "HTTP 500: only a 2xx answer counts as delivered." in html
    assert endpoint.secret not in html
    partial = client.get(_detail(endpoint), headers=HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="webhook-deliveries"')
    clear_cache()
    with count_queries() as one:
        client.get(_detail(endpoint))
    _deliveries(endpoint, 30)
    clear_cache()
    with count_queries() as many:
        page = client.get(_detail(endpoint)).content.decode()
    assert len(one) == len(many)
    assert page.count('class="delivery-status') == 25
    assert "Delivery pages" in page
    filtered = client.get(_detail(endpoint), {"status": "succeeded"}).content.decode()
    assert "No delivery with this status yet." in filtered


def test_show_and_rotate_the_secret(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    shown = client.post(reverse("dashboard:webhook_secret", args=[endpoint.pk]), headers=HTMX)
    assert endpoint.secret in shown.content.decode()
    assert shown.content.decode().lstrip().startswith('<div id="endpoint-page"')
    old = endpoint.secret
    rotated = client.post(reverse("dashboard:webhook_rotate", args=[endpoint.pk]), headers=HTMX)
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in rotated.content.decode()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.WEBHOOK_SECRET_ROTATED).count() == 1
    # Without htmx the page itself answers (a redirect would lose the secret).
    page = client.post(reverse("dashboard:webhook_secret", args=[endpoint.pk]))
    assert page.status_code == 200
    assert endpoint.secret in page.content.decode()


def test_send_a_test_event_and_its_rate_limit(
    client, login_as, make_endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_TEST_RATE_LIMIT = 1
    login_as(Role.ADMIN)
    endpoint = make_endpoint(receiver.url("/ok"))
    url = reverse("dashboard:webhook_test", args=[endpoint.pk])
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(url, headers=HTMX).content.decode()
    assert "Test event sent" in html
    assert "webhook.test" in html
    assert len(receiver.requests) == 1
    again = client.post(url, headers=HTMX).content.decode()
    assert "Too many test events" in again
    assert len(receiver.requests) == 1


def test_switch_off_and_on_again(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://127.0.0.1:9/hook", consecutive_failures=3)
    response = client.post(reverse("dashboard:webhook_disable", args=[endpoint.pk]))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "Switched off by an admin."
    html = client.post(
        reverse("dashboard:webhook_enable", args=[endpoint.pk]), headers=HTMX
    ).content.decode()
    assert "Endpoint switched on." in html
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert endpoint.consecutive_failures == 0
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {AuditEvent.Kind.WEBHOOK_DISABLED, AuditEvent.Kind.WEBHOOK_ENABLED} <= kinds


def test_switching_on_rechecks_the_address(client, login_as, make_endpoint, settings):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://10.0.0.8/hook", enabled=False)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    html = client.post(
        reverse("dashboard:webhook_enable", args=[endpoint.pk]), headers=HTMX
    ).content.decode()
    assert "only be sent to public addresses" in html
    endpoint.refresh_from_db()
    assert not endpoint.enabled


def test_delete_an_endpoint(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    _deliveries(endpoint, 2)
    response = client.post(reverse("dashboard:webhook_delete", args=[endpoint.pk]), headers=HTMX)
    assert response.headers["HX-Redirect"] == LIST
    assert not Endpoint.objects.exists()
    assert not Delivery.objects.exists()
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.WEBHOOK_DELETED).data["url"] == endpoint.url


def test_redeliver_from_the_list(
    client, login_as, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    login_as(Role.ADMIN)
    endpoint = make_endpoint(receiver.url("/ok"))
    _deliveries(endpoint, 1)
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(
            reverse("dashboard:webhook_redeliver", args=[delivery.pk]), headers=HTMX
        ).content.decode()
    assert "Sent again with the same webhook-id." in html
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert receiver.requests[0].headers["webhook-id"] == delivery.message_id


def test_get_is_not_allowed_on_actions(client, login_as, make_endpoint):
    login_as(Role.ADMIN)
    endpoint = make_endpoint("http://127.0.0.1:9/hook")
    for name in ("webhook_delete", "webhook_rotate", "webhook_test", "webhook_secret"):
        assert client.get(reverse(f"dashboard:{name}", args=[endpoint.pk])).status_code == 405
