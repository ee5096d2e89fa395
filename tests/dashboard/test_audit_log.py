import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.audit import record_event
from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.dashboard.exports import safe_cell
from tests.utils import clear_cache, count_queries

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
AUDIT = reverse("dashboard:audit_log")
EXPORT = reverse("dashboard:audit_export")
Kind = AuditEvent.Kind


def _event(kind, *, actor=None, target=None, when=None, **data):
    event = AuditEvent(
        kind=kind,
        actor=actor,
        actor_label=actor.email if actor else data.get("login", ""),
        target=target,
        target_label=target.email if target else "",
        ip="203.0.113.9",
        data=data,
    )
    if when is not None:
        event.created_at = when
    event.save()
    return event


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_audit_log_full_page_and_htmx_partial(client, login_as, make_user):
    login_as(Role.ADMIN)
    _event(Kind.LOCKOUT, target=make_user(email="ana@example.com"))
    full = client.get(AUDIT)
    html = full.content.decode()
    assert full.status_code == 200
    assert "<html" in html
    assert "Locked out" in html
    assert "ana@example.com" in html
    partial = client.get(AUDIT, {"kind": "lockout"}, headers=HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="audit-results"')


def test_audit_log_filters_by_kind(client, login_as):
    login_as(Role.ADMIN)
    _event(Kind.LOCKOUT, login="locked@example.com")
    _event(Kind.LOGIN_FAILED, login="failed@example.com")
    html = client.get(AUDIT, {"kind": "login_failed"}, headers=HTMX).content.decode()
    assert "failed@example.com" in html
    assert "locked@example.com" not in html


def test_audit_log_user_filter_matches_actor_or_target(client, login_as, make_user):
    login_as(Role.ADMIN)
    boss = make_user(Role.ADMIN, email="boss@example.com")
    ana = make_user(Role.AUTHOR, email="ana@example.com")
    ben = make_user(Role.AUTHOR, email="ben@example.com")
    _event(Kind.ROLE_CHANGED, actor=boss, target=ana, to="author")
    _event(Kind.PASSWORD_CHANGED, actor=ben, target=ben)
    html = client.get(AUDIT, {"user": "ANA@"}, headers=HTMX).content.decode()
    assert "Role changed" in html
    assert "Password changed" not in html
    html = client.get(AUDIT, {"user": "boss"}, headers=HTMX).content.decode()
    assert "Role changed" in html
    assert "Password changed" not in html


def test_audit_log_user_filter_finds_unknown_logins(client, login_as):
    login_as(Role.ADMIN)
    record_event(kind=Kind.LOGIN_FAILED, data={"login": "nobody@example.com"})
    html = client.get(AUDIT, {"user": "nobody"}, headers=HTMX).content.decode()
    assert "Sign-in failed" in html


def test_audit_log_filters_by_whole_days(client, login_as):
    login_as(Role.ADMIN)
    day = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.get_current_timezone())
    _event(Kind.LOCKOUT, login="before@example.com", when=day - timedelta(days=1))
    _event(Kind.LOCKOUT, login="first@example.com", when=day.replace(hour=0, minute=0))
    _event(Kind.LOCKOUT, login="last@example.com", when=day.replace(hour=23, minute=59))
    _event(Kind.LOCKOUT, login="after@example.com", when=day + timedelta(days=1))
    html = client.get(
        AUDIT, {"date_from": "2026-03-10", "date_to": "2026-03-10"}, headers=HTMX
    ).content.decode()
    assert "first@example.com" in html
    assert "last@example.com" in html
    assert "before@example.com" not in html
    assert "after@example.com" not in html


def test_audit_log_reports_invalid_dates_and_hides_the_export(client, login_as):
    login_as(Role.ADMIN)
    response = client.get(AUDIT, {"date_from": "2026-03-10", "date_to": "2026-03-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in html
    assert "some filters were ignored" in html
    assert EXPORT not in html


def test_audit_log_pagination_keeps_the_filters(client, login_as):
    login_as(Role.ADMIN)
    for n in range(55):
        _event(Kind.LOGIN_FAILED, login=f"guess{n}@example.com")
    html = client.get(AUDIT, {"kind": "login_failed"}).content.decode()
    assert 'href="?kind=login_failed&amp;page=2"' in html
    page_two = client.get(AUDIT, {"kind": "login_failed", "page": "2"}, headers=HTMX)
    assert page_two.content.decode().count('<tr class="align-top">') == 5


def test_audit_log_export_link_carries_the_filters(client, login_as):
    login_as(Role.ADMIN)
    _event(Kind.LOCKOUT, login="x@example.com")
    html = client.get(AUDIT, {"kind": "lockout", "user": "x@", "page": "1"}).content.decode()
    assert f'href="{EXPORT}?kind=lockout&amp;user=x%40"' in html


def _queries(client, url, **params):
    client.get(AUDIT)  # the first request of a session also writes to it
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx)


def test_audit_log_and_export_query_counts_do_not_grow_with_events(client, login_as, make_user):
    admin = login_as(Role.ADMIN)

    def add(count):
        for _ in range(count):
            user = make_user()
            _event(Kind.ROLE_CHANGED, actor=admin, target=user, to="author")

    add(2)
    few = (_queries(client, AUDIT), _queries(client, EXPORT))
    add(40)
    many = (_queries(client, AUDIT), _queries(client, EXPORT))
    assert few == many


def test_audit_export_streams_csv_with_the_filters(client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    ana = make_user(email="ana@example.com")
    _event(Kind.ROLE_CHANGED, actor=admin, target=ana, to="editor")
    _event(Kind.LOCKOUT, login="other@example.com")
    response = client.get(EXPORT, {"kind": "role_changed"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = _csv(response)
    assert rows[0] == [
        "time",
        "event",
        "event_label",
        "actor",
        "target",
        "ip",
        "user_agent",
        "data",
    ]
    assert len(rows) == 2
    assert rows[1][1:6] == [
        "role_changed",
        "Role changed",
        admin.email,
        "ana@example.com",
        "203.0.113.9",
    ]
    assert rows[1][7] == '{"to": "editor"}'


def test_audit_export_defuses_spreadsheet_formulas(client, login_as):
    login_as(Role.ADMIN)
    record_event(kind=Kind.LOGIN_FAILED, data={"login": '=HYPERLINK("http://evil.example","x")'})
    record_event(kind=Kind.LOGIN_FAILED, data={"login": "@SUM(A1)"})
    rows = _csv(client.get(EXPORT, {"kind": "login_failed"}))
    actors = sorted(row[3] for row in rows[1:])
    assert actors == ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("ana@example.com", "ana@example.com"),
        (None, ""),
        ("", ""),
    ],
)
def test_safe_cell_quotes_formula_starts(value, expected):
    assert safe_cell(value) == expected


def test_audit_export_refuses_invalid_filters(client, login_as):
    login_as(Role.ADMIN)
    assert client.get(EXPORT, {"date_from": "yesterday"}).status_code == 400


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_audit_log_and_export_are_admin_only(client, login_as, role):
    login_as(role)
    assert client.get(AUDIT).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_audit_export_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(EXPORT)
    assert response.status_code == 302


def test_audit_log_has_no_way_to_change_entries(client, login_as):
    login_as(Role.ADMIN)
    event = _event(Kind.LOCKOUT, login="x@example.com")
    html = client.get(AUDIT).content.decode()
    page = html[html.index('role="search"') : html.index("</main>")]
    assert 'method="post"' not in page
    assert "hx-post" not in page
    assert "hx-delete" not in page
    assert client.post(AUDIT, {"kind": "logout"}).status_code == 405
    assert client.delete(AUDIT).status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).kind == Kind.LOCKOUT
