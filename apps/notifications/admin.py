"""Read-only views of notifications for admins (support questions: "why did I get this?").

Notifications are created by services and changed only by their recipients, so the
admin lists, searches and shows; deletion stays available for data requests.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.notifications.models import Notification, NotificationEmail, NotificationPreference


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "text", "created_at", "read_at", "emailed_at")
    list_filter = ("kind", "email_due", "created_at")
    search_fields = ("recipient__username", "recipient__email", "text")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "actor", "post", "comment", "email")


@admin.register(NotificationEmail)
class NotificationEmailAdmin(ReadOnlyAdmin):
    """What was mailed: a row claimed without sent_at or failed_at is a mail a crash may have lost."""

    list_display = ("id", "recipient", "item_count", "claimed_at", "sent_at", "failed_at")
    list_filter = ("claimed_at", "sent_at", "failed_at")
    search_fields = ("recipient__username", "recipient__email", "message_id")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "delivery")
    list_filter = ("kind", "delivery")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
