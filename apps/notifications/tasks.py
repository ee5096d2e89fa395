"""Background work for notifications: the batched emails.

With the database backend (production) a task is enqueued, with `run_after`, when a
recipient's first emailed notification of a batch is created; a periodic run of
`manage.py send_notification_emails` is the safety net. With the immediate backend
(embedded default) the in-process periodic runner calls the service instead
(settings.INPROCESS_PERIODIC_JOBS).
"""

from __future__ import annotations

from django_tasks import task

from apps.notifications import emails


@task()
def send_notification_emails() -> int:
    """Send every batch that is due; returns how many emails went out."""
    return emails.send_notification_emails()
