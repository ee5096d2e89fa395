"""Background work: django-tasks."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from project.settings.environment import IS_PRODUCTION, env

TASKS_BACKEND: str = env.str("TASKS_BACKEND", default="database" if IS_PRODUCTION else "immediate")
if TASKS_BACKEND not in {"immediate", "database"}:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be 'immediate' or 'database', not {TASKS_BACKEND!r}."
    )
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if TASKS_BACKEND == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
    }
}

# With the immediate backend nothing can run later, so `manage.py serve` runs these
# in a thread every few seconds (apps.core.periodic); production uses db_worker.
INPROCESS_PERIODIC_JOBS = [
    "apps.blog.services.publish_due",
    "apps.notifications.services.send_notification_emails",
    "apps.comments.services.repair_comment_notifications",
    "apps.newsletter.campaigns.send_due_campaigns",
    # Deletes expired newsletter sign-ups, at most once an hour (cron runs prune_newsletter).
    "apps.newsletter.subscribers.prune_due",
    # Writes buffered analytics beacons; rolls up and prunes at most once an hour.
    "apps.analytics.services.drain_due",
    # Sends webhook deliveries whose retry is due (the immediate backend cannot defer them).
    "apps.webhooks.services.deliver_due",
]
INPROCESS_PERIODIC_SECONDS: float = env.float("INPROCESS_PERIODIC_SECONDS", default=10.0)

# django-tasks-db has no lease: a worker killed mid-task leaves its row RUNNING for good.
# Our `manage.py db_worker` (apps.core.reaper) re-queues rows RUNNING for longer than
# TASK_RUNNING_TIMEOUT seconds when it starts and every TASK_REAP_INTERVAL seconds, and
# fails a task once it has been started TASK_MAX_ATTEMPTS times. The timeout must exceed
# the longest task: a task still running past it is started a second time.
TASK_RUNNING_TIMEOUT: int = env.int("TASK_RUNNING_TIMEOUT", default=900)
TASK_MAX_ATTEMPTS: int = env.int("TASK_MAX_ATTEMPTS", default=3)
TASK_REAP_INTERVAL: float = env.float("TASK_REAP_INTERVAL", default=60.0)
if TASK_RUNNING_TIMEOUT < 1 or TASK_MAX_ATTEMPTS < 1 or TASK_REAP_INTERVAL <= 0:
    raise ImproperlyConfigured(
        "TASK_RUNNING_TIMEOUT and TASK_MAX_ATTEMPTS must be at least 1, TASK_REAP_INTERVAL above 0."
    )
