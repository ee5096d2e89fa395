"""The dashboard's views, one module per area."""

from apps.dashboard.views.accounts import (
    audit_export,
    audit_log,
    home,
    lockout_clear,
    lockouts,
    user_languages,
    user_role,
    user_row,
    user_set_active,
    users,
)

__all__ = [
    "audit_export",
    "audit_log",
    "home",
    "lockout_clear",
    "lockouts",
    "user_languages",
    "user_role",
    "user_row",
    "user_set_active",
    "users",
]

# The post editor and its workflow and preview-link panels (issue 4).
from apps.dashboard.views.editor import (
    post_autosave,
    post_autosave_new,
    post_edit,
    post_image_upload,
    post_new,
    post_preview,
)
from apps.dashboard.views.publishing import (
    post_move,
    post_schedule,
    post_send_back,
    post_unpublish_time,
    preview_link_create,
    preview_link_revoke,
)

__all__ += [
    "post_autosave",
    "post_autosave_new",
    "post_edit",
    "post_image_upload",
    "post_move",
    "post_new",
    "post_preview",
    "post_schedule",
    "post_send_back",
    "post_unpublish_time",
    "preview_link_create",
    "preview_link_revoke",
]

# The posts table, revisions, categories and tags (issue 4).
from apps.dashboard.views.posts import (  # noqa: E402
    post_list,
    post_row_move,
    posts_bulk,
)
from apps.dashboard.views.revisions import post_history, revision_restore  # noqa: E402
from apps.dashboard.views.taxonomy import (  # noqa: E402
    categories,
    category_create,
    category_delete,
    category_edit,
    category_row,
    tag_create,
    tag_edit,
    tag_row,
    tags,
    tags_merge,
)

__all__ += [
    "categories",
    "category_create",
    "category_delete",
    "category_edit",
    "category_row",
    "post_history",
    "post_list",
    "post_row_move",
    "posts_bulk",
    "revision_restore",
    "tag_create",
    "tag_edit",
    "tag_row",
    "tags",
    "tags_merge",
]
