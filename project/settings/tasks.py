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
]
INPROCESS_PERIODIC_SECONDS: float = env.float("INPROCESS_PERIODIC_SECONDS", default=10.0)
