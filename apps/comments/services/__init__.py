"""Comment writes: comments.py (post, edit, delete, report) and moderation.py (the queue)."""

from apps.comments.services.comments import (
    EDIT_WINDOW,
    MAX_LENGTH,
    anonymise_comments_of,
    can_delete,
    can_edit,
    can_report,
    create_comment,
    delete_comment,
    edit_comment,
    ensure_editable,
    report_comment,
)
from apps.comments.services.moderation import (
    BulkModerationResult,
    approve_comment,
    bulk_moderate,
    dismiss_reports,
    initial_status,
    mark_spam,
    reject_comment,
    set_comments_open,
    update_moderation_settings,
)

__all__ = [
    "EDIT_WINDOW",
    "MAX_LENGTH",
    "BulkModerationResult",
    "anonymise_comments_of",
    "approve_comment",
    "bulk_moderate",
    "can_delete",
    "can_edit",
    "can_report",
    "create_comment",
    "delete_comment",
    "dismiss_reports",
    "edit_comment",
    "ensure_editable",
    "initial_status",
    "mark_spam",
    "reject_comment",
    "report_comment",
    "set_comments_open",
    "update_moderation_settings",
]
