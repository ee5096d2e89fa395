"""Read-only views of comments for admins: changes go through the moderation dashboard.

Editing here would skip the services (sanitising, broadcasts, notifications), so the
admin only lists, searches and shows; hard deletion stays available for data requests.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.comments.models import Comment, CommentReport, ModerationSettings


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("id", "post", "author", "status", "depth", "created_at", "deleted_at")
    list_filter = ("status", "created_at")
    search_fields = ("body", "author__username", "author__email", "post__title")
    list_select_related = ("post", "author")
    raw_id_fields = ("post", "author", "parent", "root", "thread_parent", "moderated_by")
    date_hierarchy = "created_at"


@admin.register(CommentReport)
class CommentReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "comment", "reporter", "reason", "created_at", "resolved_at")
    list_filter = ("resolved_at",)
    list_select_related = ("comment", "reporter")
    raw_id_fields = ("comment", "reporter")


@admin.register(ModerationSettings)
class ModerationSettingsAdmin(ReadOnlyAdmin):
    list_display = ("hold", "max_links", "updated_at", "updated_by")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
