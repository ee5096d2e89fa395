"""CSV import (all or nothing, consent required), the streamed export, staff suppressions."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from apps.accounts.models import AuditEvent
from apps.accounts.roles import Role
from apps.newsletter import imports
from apps.newsletter.imports import export_subscribers, import_subscribers, safe_cell
from apps.newsletter.models import (
    Consent,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from apps.newsletter.suppressions import add_suppression, remove_suppression
from tests.dashboard.conftest import give_role
from tests.factories.accounts import UserFactory
from tests.factories.newsletter import NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return give_role(UserFactory.create(), Role.EDITOR)


@pytest.fixture
def admin():
    return give_role(UserFactory.create(), Role.ADMIN)


@pytest.fixture
def weekly():
    return NewsletterFactory.create(slug="weekly-test", name="Weekly test")


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def _import(actor, text, newsletters, **kwargs):
    kwargs.setdefault("consent_confirmed", True)
    kwargs.setdefault("note", "Book fair sheet")
    return import_subscribers(actor=actor, file=_csv(text), newsletters=newsletters, **kwargs)


def test_import_subscribers_adds_confirmed_subscribers_with_consent_records(editor, weekly):
    report = _import(
        editor, "email,name,created\n Ana@Example.com ,Ana,2024-05-31\nbo@example.com,,\n", [weekly]
    )
    assert report.ok
    assert (report.rows, report.created, report.subscribed) == (2, 2, 2)
    ana = Subscriber.objects.get(email="ana@example.com")
    assert ana.is_confirmed
    assert ana.created_at.date().isoformat() == "2024-05-31"
    sub = Subscription.objects.get(subscriber=ana, newsletter=weekly)
    assert (sub.status, sub.source) == (SubscriptionStatus.ACTIVE, Source.IMPORT)
    consent = Consent.objects.get(subscriber=ana)
    assert (consent.source, consent.recorded_by, consent.note) == (
        Source.IMPORT,
        editor,
        "Book fair sheet",
    )
    assert consent.newsletters == "weekly-test"
    assert consent.wording_version
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SUBSCRIBERS_IMPORTED)
    assert (event.actor, event.data["created"]) == (editor, 2)


def test_import_subscribers_refuses_without_consent_confirmation(editor, weekly):
    with pytest.raises(ValidationError):
        _import(editor, "email\nana@example.com\n", [weekly], consent_confirmed=False)
    assert not Subscriber.objects.exists()


def test_import_subscribers_refuses_without_a_newsletter(editor):
    with pytest.raises(ValidationError):
        _import(editor, "email\nana@example.com\n", [])


@pytest.mark.parametrize("role", [None, Role.AUTHOR])
def test_import_subscribers_is_for_editors_only(weekly, role):
    user = UserFactory.create()
    if role:
        give_role(user, role)
    with pytest.raises(PermissionDenied):
        _import(user, "email\nana@example.com\n", [weekly])


def test_import_subscribers_writes_nothing_when_any_row_is_wrong(editor, weekly):
    text = (
        "email,created\n"
        "good@example.com,\n"
        "not-an-address,\n"
        ",2024-01-01\n"
        "late@example.com,2999-01-01\n"
        "odd@example.com,yesterday\n"
    )
    report = _import(editor, text, [weekly])
    assert not report.ok
    assert [(e.line, e.message) for e in report.errors] == [
        (3, "This is not a valid email address."),
        (4, "The address is missing."),
        (5, "“created” is in the future."),
        (6, "“created” must be a date such as 2024-05-31 (or a date and time)."),
    ]
    assert not Subscriber.objects.exists()
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SUBSCRIBERS_IMPORTED).exists()


def test_import_problems_are_reported_in_the_importers_language(editor, weekly):
    text = "email\nnot-an-address\nana@example.com\nana@example.com\n"
    with translation.override("de"):
        report = _import(editor, text, [weekly])
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "Das ist keine gültige E-Mail-Adresse.")
    ]
    assert [(s.line, s.reason) for s in report.skipped] == [
        (4, "Dieselbe Adresse wie in Zeile 3; einmal importiert.")
    ]


def test_import_subscribers_needs_an_email_column(editor, weekly):
    report = _import(editor, "name,created\nAna,2024-01-01\n", [weekly])
    assert [e.message for e in report.errors] == ["The first row must name an “email” column."]


def test_import_subscribers_reads_a_plain_list_without_header(editor, weekly):
    report = _import(editor, "ana@example.com\nbo@example.com\n", [weekly])
    assert report.ok
    assert Subscriber.objects.count() == 2


def test_import_subscribers_refuses_a_file_that_is_not_utf8(editor, weekly):
    report = import_subscribers(
        actor=editor,
        file=io.BytesIO("email\nzoë@example.com\n".encode("latin-1")),
        newsletters=[weekly],
        consent_confirmed=True,
    )
    assert "not UTF-8" in report.errors[0].message


def test_import_subscribers_accepts_a_byte_order_mark(editor, weekly):
    report = import_subscribers(
        actor=editor,
        file=io.BytesIO("email\nana@example.com\n".encode("utf-8-sig")),
        newsletters=[weekly],
        consent_confirmed=True,
    )
    assert report.ok


def test_import_subscribers_reports_an_empty_file(editor, weekly):
    assert not _import(editor, "", [weekly]).ok
    assert not _import(editor, "email\n\n", [weekly]).ok


def test_import_subscribers_reports_suppressed_addresses_and_leaves_them_out(editor, weekly):
    Suppression.objects.create(email="gone@example.com", reason=SuppressionReason.HARD_BOUNCE)
    report = _import(editor, "email\nGONE@example.com\nana@example.com\n", [weekly])
    assert report.ok
    assert [(s.line, s.email) for s in report.skipped] == [(2, "gone@example.com")]
    assert not Subscriber.objects.filter(email="gone@example.com").exists()
    assert Subscriber.objects.filter(email="ana@example.com").exists()


def test_import_subscribers_imports_a_repeated_address_once(editor, weekly):
    report = _import(editor, "email\nana@example.com\nANA@example.com\n", [weekly])
    assert report.ok
    assert Subscriber.objects.count() == 1
    assert "line 2" in report.skipped[0].reason


def test_import_subscribers_gives_existing_subscribers_the_subscription(editor, weekly):
    other = NewsletterFactory.create()
    known = SubscriberFactory.create(email="known@example.com")
    SubscriptionFactory.create(subscriber=known, newsletter=other)
    pending = SubscriberFactory.create(email="pending@example.com", confirmed_at=None)
    SubscriptionFactory.create(
        subscriber=pending, newsletter=weekly, status=SubscriptionStatus.PENDING
    )
    report = _import(editor, "email\nknown@example.com\npending@example.com\n", [weekly])
    assert report.ok
    assert (report.created, report.subscribed) == (0, 2)
    assert Subscription.objects.get(subscriber=known, newsletter=weekly).status == "active"
    assert Subscription.objects.get(subscriber=pending, newsletter=weekly).status == "active"
    pending.refresh_from_db()
    assert pending.is_confirmed
    assert Consent.objects.filter(source=Source.IMPORT).count() == 2


def test_import_subscribers_never_resubscribes_someone_who_left(editor, weekly):
    left = SubscriberFactory.create(email="left@example.com")
    SubscriptionFactory.create(
        subscriber=left, newsletter=weekly, status=SubscriptionStatus.UNSUBSCRIBED
    )
    report = _import(editor, "email\nleft@example.com\n", [weekly])
    assert report.ok
    assert report.subscribed == 0
    assert "Unsubscribed earlier" in report.skipped[0].reason
    assert Subscription.objects.get(subscriber=left).status == "unsubscribed"
    assert not Consent.objects.exists()


def test_import_subscribers_batches_its_inserts(
    editor, weekly, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(imports, "BATCH", 50)
    rows = "".join(f"r{i}@example.com\n" for i in range(200))
    # Per batch of 50: look-up, insert, confirm, ids, subscriptions, insert, update, consents.
    with django_assert_max_num_queries(4 * 9 + 6):
        report = _import(editor, "email\n" + rows, [weekly])
    assert report.created == 200
    assert Consent.objects.count() == 200


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _lines(actor):
    return list(csv.reader(io.StringIO("".join(export_subscribers(actor=actor)))))


def test_export_subscribers_lists_everyone_with_their_subscriptions(admin, weekly):
    ana = SubscriberFactory.create(email="ana@example.com")
    SubscriptionFactory.create(subscriber=ana, newsletter=weekly)
    Suppression.objects.create(email="ana@example.com", reason=SuppressionReason.COMPLAINT)
    header, row = _lines(admin)
    assert header == imports.EXPORT_HEADER
    assert row[0] == "ana@example.com"
    assert row[3] == "weekly-test"
    assert row[6] == "yes"
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.SUBSCRIBERS_EXPORTED).actor == admin


@pytest.mark.parametrize("role", [None, Role.AUTHOR, Role.EDITOR])
def test_export_subscribers_is_for_admins_only(role):
    user = UserFactory.create()
    if role:
        give_role(user, role)
    with pytest.raises(PermissionDenied):
        export_subscribers(actor=user)  # refused at the call, not at the first line


def test_export_subscribers_defuses_spreadsheet_formulas():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@SUM") == "'@SUM"
    assert safe_cell("ana@example.com") == "ana@example.com"


def test_export_subscribers_defuses_a_formula_address(admin):
    SubscriberFactory.create(email="=cmd@example.com")
    assert _lines(admin)[1][0] == "'=cmd@example.com"


def test_export_subscribers_reads_in_a_constant_number_of_queries(
    admin, weekly, django_assert_num_queries
):
    for i in range(20):
        SubscriptionFactory.create(newsletter=weekly, subscriber__email=f"s{i}@example.com")
    stream = export_subscribers(actor=admin)
    with django_assert_num_queries(2):  # the subscribers, then their subscriptions
        lines = list(stream)
    assert len(lines) == 21


# --------------------------------------------------------------------------
# Suppressions by hand
# --------------------------------------------------------------------------


def test_add_suppression_normalises_and_refuses_duplicates(editor):
    suppression = add_suppression(actor=editor, email=" Spam@Example.com ", detail="asked")
    assert (suppression.email, suppression.reason) == ("spam@example.com", "manual")
    with pytest.raises(ValidationError):
        add_suppression(actor=editor, email="spam@example.com")


def test_add_suppression_refuses_a_bad_address(editor):
    with pytest.raises(ValidationError):
        add_suppression(actor=editor, email="nope")


def test_suppressions_are_for_editors_only():
    author = give_role(UserFactory.create(), Role.AUTHOR)
    with pytest.raises(PermissionDenied):
        add_suppression(actor=author, email="a@example.com")
    row = Suppression.objects.create(email="b@example.com", reason="manual")
    with pytest.raises(PermissionDenied):
        remove_suppression(actor=author, suppression=row)
    assert Suppression.objects.filter(pk=row.pk).exists()


def test_remove_suppression_deletes_the_row(editor):
    row = Suppression.objects.create(email="b@example.com", reason="bounced")
    remove_suppression(actor=editor, suppression=row)
    assert not Suppression.objects.exists()
