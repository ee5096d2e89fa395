"""Parse and validate what the dashboard pages receive; nothing here saves."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import AuditEvent
from apps.accounts.roles import ROLE_ORDER, Role
from apps.core.languages import site_languages

ROLE_CHOICES = [(role.value, role.label) for role in ROLE_ORDER]


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Email, username or name")}),
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *ROLE_CHOICES]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("active", _("Active")), ("inactive", _("Deactivated"))],
    )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `user_directory`, from the fields that are valid."""
        self.is_valid()  # invalid fields drop out of cleaned_data; the valid ones still apply
        data = self.cleaned_data
        status = data.get("status")
        return {
            "search": (data.get("q") or "").strip(),
            "role": Role(data["role"]) if data.get("role") else None,
            "active": {"active": True, "inactive": False}.get(status or ""),
        }


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class WritesLanguagesForm(forms.Form):
    """The languages a person may write in; none ticked means any of the site's."""

    languages = forms.MultipleChoiceField(
        label=_("Writes in"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["languages"]).choices = [
            (language.code, language.name) for language in site_languages()
        ]


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("Every event")), *AuditEvent.Kind.choices]
    )
    user = forms.CharField(
        label=_("User email"),
        required=False,
        max_length=254,
        widget=forms.SearchInput(attrs={"placeholder": _("Actor or target")}),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `filtered_audit_events`, from the fields that are valid."""
        self.is_valid()  # invalid fields drop out of cleaned_data; the valid ones still apply
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "user": (data.get("user") or "").strip(),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class LockoutClearForm(forms.Form):
    # Both may be empty: axes records an attempt even when the login or address is unknown.
    username = forms.CharField(required=False, max_length=255, strip=False)
    ip_address = forms.GenericIPAddressField(required=False)
