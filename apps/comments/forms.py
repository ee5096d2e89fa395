"""Parse and validate comment input; the services decide and save."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from apps.comments.services.comments import MAX_LENGTH, REPORT_REASON_MAX


def _too_long() -> str:
    return gettext("Comments can be at most %(limit)s characters.") % {"limit": f"{MAX_LENGTH:,}"}


def _reason_too_long() -> str:
    return gettext("Keep the reason under %(limit)s characters.") % {"limit": REPORT_REASON_MAX}


_BODY_ERRORS: dict[str, Any] = {
    "required": gettext_lazy("Write something before posting your comment."),
    "max_length": lazy(_too_long, str)(),
}


class CommentForm(forms.Form):
    body = forms.CharField(max_length=MAX_LENGTH, strip=True, error_messages=_BODY_ERRORS)
    # The comment replied to; the view looks it up on the same post.
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # One-time token, new with each rendered form: a submission sent again with it (a
    # browser retry, a second click after a 503) finds the comment the first one posted.
    token = forms.UUIDField(required=False, initial=uuid.uuid4, widget=forms.HiddenInput)


class EditCommentForm(forms.Form):
    body = forms.CharField(max_length=MAX_LENGTH, strip=True, error_messages=_BODY_ERRORS)


class ReportCommentForm(forms.Form):
    reason = forms.CharField(
        max_length=REPORT_REASON_MAX,
        required=False,
        strip=True,
        error_messages={"max_length": lazy(_reason_too_long, str)()},
    )
