"""Comment writes: comments.py (post, edit, report), moderation.py (the queue and its table).

What both need lives beside them: rules.py (the hold rule and spam signals), deletion.py
(deleting a comment) and notices.py (who hears about a comment); neither imports the other.
"""

from apps.comments.services.comments import (
    EDIT_WINDOW,
    MAX_LENGTH,
    can_edit,
    can_report,
    create_comment,
    edit_comment,
    ensure_editable,
    report_comment,
)
from apps.comments.services.deletion import can_delete, delete_comment
from apps.comments.services.moderation import (
    ACTIONS,
    BulkModerationResult,
    ModerationAction,
    allowed_actions,
    approve_comment,
    bulk_moderate,
    dismiss_reports,
    mark_spam,
    reject_comment,
    set_comments_open,
    update_moderation_settings,
)
from apps.comments.services.notices import notify_for_comment, repair_comment_notifications
from apps.comments.services.rules import initial_status

__all__ = [
    "ACTIONS",
    "EDIT_WINDOW",
    "MAX_LENGTH",
    "BulkModerationResult",
    "ModerationAction",
    "allowed_actions",
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
    "notify_for_comment",
    "reject_comment",
    "repair_comment_notifications",
    "report_comment",
    "set_comments_open",
    "update_moderation_settings",
]
