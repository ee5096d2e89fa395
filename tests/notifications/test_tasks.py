import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from apps.notifications import emails, services
from apps.notifications.models import (
    Delivery,
    Kind,
    Notification,
    NotificationEmail,
    NotificationPreference,
)
from apps.notifications.tasks import send_notification_emails
from tests.factories.accounts import UserFactory
from tests.utils import metric_sample


def sample(name: str) -> float:
    return metric_sample(name, kind="notification")


pytestmark = pytest.mark.django_db

DELAY = timedelta(seconds=300)


def _due(recipient, text, *, age=DELAY + timedelta(seconds=1), kind=Kind.MENTION, **fields):
    fields.setdefault("email_due", True)
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        text=text,
        url="/posts/a/#comment-1",
        created_at=timezone.now() - age,
        **fields,
    )


@pytest.fixture
def emailed(db):
    """A reader who wants mentions and replies by email."""
    user = UserFactory.create(username="mailme", display_name="Mail Me")
    services.set_preferences(
        actor=user, choices={Kind.MENTION: Delivery.EMAIL, Kind.COMMENT_REPLY: Delivery.EMAIL}
    )
    return user


def test_one_email_per_recipient_with_all_their_items(emailed, mailoutbox):
    other = UserFactory.create()
    services.set_preferences(actor=other, choices={Kind.MENTION: Delivery.EMAIL})
    _due(emailed, "Ann mentioned you")
    _due(emailed, "Bob replied to <your> comment & more", kind=Kind.COMMENT_REPLY)
    _due(emailed, "Cy mentioned you")
    _due(other, "Dee mentioned you")
    assert emails.send_notification_emails() == 2
    assert len(mailoutbox) == 2
    mail = next(m for m in mailoutbox if m.to == [emailed.email])
    assert mail.subject == "3 new notifications on Inkwell"
    for text in ["Ann mentioned you", "Bob replied to <your> comment & more", "Cy mentioned you"]:
        assert text in mail.body  # plain text: not escaped
    assert "http://127.0.0.1:8000/posts/a/#comment-1" in mail.body
    assert "/notifications/settings/" in mail.body
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html"
    assert "Bob replied to &lt;your&gt; comment &amp; more" in html
    assert "<your>" not in html
    assert not Notification.objects.filter(emailed_at__isnull=True, email_due=True).exists()


def test_a_single_item_is_the_subject(emailed, mailoutbox):
    _due(emailed, "Ann mentioned you in “Notes”")
    emails.send_notification_emails()
    assert mailoutbox[0].subject == "Ann mentioned you in “Notes”"


def test_the_batching_delay_is_respected(emailed, mailoutbox, settings):
    fresh = _due(emailed, "Just now", age=timedelta(seconds=30))
    assert emails.send_notification_emails() == 0
    assert mailoutbox == []
    later = timezone.now() + timedelta(seconds=300)
    assert emails.send_notification_emails(now=later) == 1
    fresh.refresh_from_db()
    assert fresh.emailed_at is not None
    settings.NOTIFICATION_EMAIL_DELAY_SECONDS = 10
    _due(emailed, "Shorter delay", age=timedelta(seconds=11))
    assert emails.send_notification_emails() == 1


def test_a_due_batch_takes_the_newer_items_along(emailed, mailoutbox):
    _due(emailed, "Old one")
    _due(emailed, "New one", age=timedelta(seconds=5))
    assert emails.send_notification_emails() == 1
    assert "New one" in mailoutbox[0].body
    assert "2 new notifications" in mailoutbox[0].subject


def test_nothing_is_sent_twice(emailed, mailoutbox):
    _due(emailed, "Once")
    assert emails.send_notification_emails() == 1
    assert emails.send_notification_emails() == 0
    assert len(mailoutbox) == 1


def test_preferences_decide_what_is_emailed(
    emailed, mailoutbox, django_capture_on_commit_callbacks
):
    in_app = UserFactory.create()
    off = UserFactory.create()
    services.set_preferences(actor=off, choices={Kind.MENTION: Delivery.OFF})
    for recipient in [emailed, in_app, off]:
        services.notify(
            recipient_ids=[recipient.pk], kind=Kind.MENTION, actor_id=None, text="Hi", url="/"
        )
    assert Notification.objects.filter(recipient=off).count() == 0
    assert Notification.objects.get(recipient=in_app).email_due is False
    assert emails.send_notification_emails(now=timezone.now() + DELAY * 2) == 1
    assert [m.to for m in mailoutbox] == [[emailed.email]]


def test_items_read_or_switched_off_before_sending_are_not_emailed(emailed, mailoutbox):
    _due(emailed, "Read already", read_at=timezone.now())
    _due(emailed, "Reply, no longer wanted by email", kind=Kind.COMMENT_REPLY)
    NotificationPreference.objects.filter(user=emailed, kind=Kind.COMMENT_REPLY).update(
        delivery=Delivery.IN_APP
    )
    assert emails.send_notification_emails() == 0
    assert mailoutbox == []
    assert not Notification.objects.filter(email_due=True).exists()


def test_inactive_recipients_get_no_mail(emailed, mailoutbox):
    _due(emailed, "Hi")
    emailed.is_active = False
    emailed.save()
    assert emails.send_notification_emails() == 0
    assert mailoutbox == []


def test_a_failing_mail_stays_pending_and_others_go_out(emailed, mailoutbox, monkeypatch):
    other = UserFactory.create()
    services.set_preferences(actor=other, choices={Kind.MENTION: Delivery.EMAIL})
    _due(emailed, "To a broken inbox")
    _due(other, "To a fine inbox")
    real_mail = emails._mail

    def flaky(recipient, items, **kwargs):
        if recipient == emailed:
            raise OSError("SMTP refused")
        real_mail(recipient, items, **kwargs)

    monkeypatch.setattr(emails, "_mail", flaky)
    sent, failed = sample("inkwell_emails_sent_total"), sample("inkwell_emails_failed_total")
    assert emails.send_notification_emails() == 1
    assert [m.to for m in mailoutbox] == [[other.email]]
    assert sample("inkwell_emails_sent_total") == sent + 1
    assert sample("inkwell_emails_failed_total") == failed + 1
    assert Notification.objects.get(recipient=emailed).emailed_at is None
    # The refusal is on record, and the items go out in a later batch of their own.
    refused = NotificationEmail.objects.get(recipient=emailed)
    assert refused.failed_at is not None
    assert "SMTP refused" in refused.error
    monkeypatch.setattr(emails, "_mail", real_mail)
    assert emails.send_notification_emails() == 1
    retried = NotificationEmail.objects.get(recipient=emailed, sent_at__isnull=False)
    assert retried.message_id != refused.message_id


def test_the_task_and_the_command_send_the_batches(emailed, mailoutbox, capsys):
    _due(emailed, "By task")
    result = send_notification_emails.enqueue()  # the immediate backend runs it now
    assert result.return_value == 1
    _due(emailed, "By command")
    call_command("send_notification_emails")
    assert "Sent 1 notification email." in capsys.readouterr().out
    assert len(mailoutbox) == 2


def test_a_deferring_backend_wakes_the_mailer_once_per_batch(
    emailed, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipient_ids=[emailed.pk], kind=Kind.MENTION, actor_id=None, text="1", url="/"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipient_ids=[emailed.pk], kind=Kind.MENTION, actor_id=None, text="2", url="/"
        )
    (result,) = default_task_backend.results  # type: ignore[attr-defined]  # DummyBackend
    assert result.task.name == "send_notification_emails"
    assert result.task.run_after > timezone.now() + DELAY - timedelta(seconds=5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runs_skip_rows_another_run_holds(mailoutbox):
    user = UserFactory.create()
    services.set_preferences(actor=user, choices={Kind.MENTION: Delivery.EMAIL})
    _due(user, "Contended")
    locked, release = threading.Event(), threading.Event()

    def hold_rows() -> None:
        try:
            with transaction.atomic():
                list(Notification.objects.select_for_update().filter(recipient=user))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_rows)
    holder.start()
    try:
        assert locked.wait(10)
        # The other "worker" holds this recipient's rows: skip, don't wait, don't double send.
        assert emails.send_notification_emails() == 0
        assert mailoutbox == []
    finally:
        release.set()
        holder.join(10)
    assert emails.send_notification_emails() == 1
    assert len(mailoutbox) == 1


# --------------------------------------------------------------------------
# At most once per batch: claim (stamp and record) in a committed transaction, then send
# --------------------------------------------------------------------------


def test_each_batch_is_recorded_with_the_message_id_it_was_sent_with(emailed, mailoutbox):
    first = _due(emailed, "Ann mentioned you")
    second = _due(emailed, "Bob mentioned you")
    assert emails.send_notification_emails() == 1
    batch = NotificationEmail.objects.get()
    assert (batch.recipient, batch.item_count) == (emailed, 2)
    assert batch.sent_at is not None
    assert batch.failed_at is None
    assert mailoutbox[0].extra_headers["Message-ID"] == batch.message_id
    assert batch.message_id.endswith("@127.0.0.1>")  # the SITE_URL's host
    assert set(batch.notifications.all()) == {first, second}


def test_a_crash_after_the_claim_does_not_send_the_batch_again(emailed, mailoutbox, monkeypatch):
    item = _due(emailed, "Mailed at most once")
    real_mail = emails._mail

    def killed(recipient, items, **kwargs):
        raise SystemExit("the worker died mid-send")  # not an error the mailer can see

    monkeypatch.setattr(emails, "_mail", killed)
    with pytest.raises(SystemExit):
        emails.send_notification_emails()
    monkeypatch.setattr(emails, "_mail", real_mail)
    # The task runs again (the reaper re-queued it, or the next cron run): nothing is resent.
    assert emails.send_notification_emails() == 0
    assert mailoutbox == []
    item.refresh_from_db()
    assert item.emailed_at is not None
    claimed = NotificationEmail.objects.get()
    assert item.email == claimed
    # Visible as claimed, never confirmed: what an operator looks for after a crash.
    assert (claimed.sent_at, claimed.failed_at) == (None, None)


def _refuse_stamping() -> None:
    """Make the database refuse the claim's stamp, as a failing disk or a lost lock would."""
    with connections["default"].cursor() as cursor:
        if connections["default"].vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_stamp() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_stamp BEFORE UPDATE OF emailed_at "
                "ON notifications_notification FOR EACH ROW EXECUTE FUNCTION refuse_stamp()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_stamp BEFORE UPDATE OF emailed_at "
                "ON notifications_notification BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )


def _allow_stamping() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER refuse_stamp ON notifications_notification"
            if connections["default"].vendor == "postgresql"
            else "DROP TRIGGER refuse_stamp"
        )


def test_a_failure_to_claim_sends_nothing(emailed, mailoutbox):
    item = _due(emailed, "Not yet")
    _refuse_stamping()
    assert emails.send_notification_emails() == 0
    assert mailoutbox == []
    assert not NotificationEmail.objects.exists()  # the batch row rolled back with the stamp
    item.refresh_from_db()
    assert (item.emailed_at, item.email) == (None, None)
    _allow_stamping()
    assert emails.send_notification_emails() == 1
    assert len(mailoutbox) == 1
