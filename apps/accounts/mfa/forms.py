"""Second-factor forms: parse and validate input; the services check the codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _code_field(
    *, label: StrOrPromise, help_text: StrOrPromise = "", numeric: bool, autofocus: bool = True
) -> forms.CharField:
    attrs = {
        "autocomplete": "one-time-code",
        "autocapitalize": "off",
        "autocorrect": "off",
        "spellcheck": "false",
    }
    if autofocus:
        attrs["autofocus"] = "autofocus"
    if numeric:
        attrs |= {"inputmode": "numeric", "pattern": r"[0-9 ]*", "maxlength": "9"}
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": _("Enter the code.")},
    )


class ConfirmTOTPForm(forms.Form):
    code = _code_field(label=_("6-digit code from the app"), numeric=True)


class VerifyForm(forms.Form):
    code = _code_field(
        label=_("Verification code"),
        help_text=_(
            "The 6-digit code from your authenticator app, a code we emailed you, "
            "or one of your backup codes."
        ),
        numeric=False,
    )
    trust = forms.BooleanField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        days = int(settings.MFA_TRUST_BROWSER_DAYS)
        self.fields["trust"].label = ngettext(
            "Trust this browser for %(days)d day", "Trust this browser for %(days)d days", days
        ) % {"days": days}


class DisableForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autofocus": "autofocus"}
        ),
        error_messages={"required": _("Enter your password.")},
    )
    code = _code_field(
        label=_("A current code"),
        help_text=_("From your authenticator app, or one of your backup codes."),
        numeric=False,
        autofocus=False,
    )
