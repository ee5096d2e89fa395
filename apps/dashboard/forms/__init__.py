"""The dashboard's forms, one module per area; they parse and validate, never save.

The account pages' forms are re-exported here; the other areas import their module.
"""

from apps.dashboard.forms.accounts import (
    AuditFilterForm,
    LockoutClearForm,
    RoleForm,
    UserFilterForm,
    WritesLanguagesForm,
)

__all__ = [
    "AuditFilterForm",
    "LockoutClearForm",
    "RoleForm",
    "UserFilterForm",
    "WritesLanguagesForm",
]
