"""Parse what the moderation pages receive; nothing here saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.comments.models import ModerationSettings
from apps.comments.selectors.moderation import QUEUE_VIEWS
from apps.comments.services.moderation import ACTIONS, BLOCKLIST_MAX_ENTRIES, MAX_LINKS_LIMIT

VIEW_LABELS: dict[str, str | Promise] = {
    "held": _("Held"),
    "reported": _("Reported"),
    "spam": _("Spam"),
    "rejected": _("Rejected"),
}

# Bulk action → the queue views where it makes sense, in the menu's order. Labels and the
# states each action applies to come from the services' table (`ACTIONS`).
BULK_ACTION_VIEWS: dict[str, frozenset[str]] = {
    "approve": frozenset({"held", "spam", "rejected"}),
    "reject": frozenset({"held", "reported", "spam"}),
    "spam": frozenset({"held", "reported", "rejected"}),
    "dismiss": frozenset({"reported"}),
    "delete": frozenset(QUEUE_VIEWS),
}


def bulk_actions_for(view: str) -> list[tuple[str, str]]:
    """The bulk actions worth offering in one queue view (the service re-checks each comment)."""
    return [
        (name, str(ACTIONS[name].label))
        for name, views in BULK_ACTION_VIEWS.items()
        if view in views
    ]


class QueueFilterForm(forms.Form):
    view = forms.ChoiceField(required=False, choices=[(v, VIEW_LABELS[v]) for v in QUEUE_VIEWS])
    post = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Words, commenter or post title")}),
    )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `moderation_queue`, from the fields that are valid."""
        self.is_valid()  # invalid fields drop out; the valid ones still apply
        data = self.cleaned_data
        return {
            "view": data.get("view") or "held",
            "post_id": data.get("post"),
            "q": (data.get("q") or "").strip(),
        }


class CommentIdsField(forms.Field):
    """The ticked comments' ids (the service reports each one it cannot act on)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one comment."),
        "invalid": _("A selected comment is not valid: reload the page."),
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            return [int(pk) for pk in value]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkModerationForm(forms.Form):
    action = forms.ChoiceField(
        label=_("With the selected comments"),
        error_messages={"required": _("Choose what to do with the selected comments.")},
    )
    comments = CommentIdsField()

    def __init__(self, *args: Any, view: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Choose an action…")),
            *bulk_actions_for(view),
        ]

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


class ModerationSettingsForm(forms.Form):
    hold = forms.ChoiceField(
        label=_("Hold new comments for approval"),
        choices=ModerationSettings.Hold.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose which comments to hold.")},
    )
    max_links = forms.IntegerField(
        label=_("Most links a comment may hold"),
        min_value=0,
        max_value=MAX_LINKS_LIMIT,
        help_text=_("A comment with more links than this waits in the queue. 0 holds any link."),
        error_messages={
            "required": _("Enter a number of links (0 holds any comment with a link)."),
            "invalid": _("Enter a whole number."),
        },
    )
    blocklist = forms.CharField(
        label=_("Blocked words and phrases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["blocklist"].help_text = gettext(
            "One word or phrase per line, at most %(count)s. A comment that contains one as a "
            "whole word (any case) waits in the queue."
        ) % {"count": BLOCKLIST_MAX_ENTRIES}

    def add_service_error(self, error: ValidationError) -> None:
        """Attach a service's ValidationError to the field it names, or to the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class CommentsOpenForm(forms.Form):
    open = forms.TypedChoiceField(
        choices=[("1", _("Open")), ("0", _("Closed"))],
        coerce=lambda value: value == "1",
        error_messages={"required": _("Say whether comments should be open or closed.")},
    )
