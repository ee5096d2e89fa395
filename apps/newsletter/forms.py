"""Sign-up and preferences forms: parse and validate; the services in subscribers.py write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.newsletter import selectors
from apps.newsletter.models import Source
from apps.newsletter.subscribers import validate_address

INPUT = (
    "block w-full rounded-lg border-0 px-3 py-2 text-slate-900 ring-1 ring-inset ring-slate-300 "
    "placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-ink-500 "
    "dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-600"
)
# Where a sign-up form may say it came from (the consent record's "which form").
FORM_SOURCES = (Source.HOME, Source.POST, Source.PAGE, Source.ACCOUNT)


class SignupForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Email address"),
        max_length=320,
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "placeholder": gettext_lazy("you@example.com"),
                "class": INPUT,
            }
        ),
    )
    newsletters = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Newsletters"),
        queryset=selectors.newsletters_offered(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ChoiceField(
        choices=[(s.value, s.label) for s in FORM_SOURCES],
        required=False,
        widget=forms.HiddenInput,
    )
    # The language of the page the form is on (its box sits on public pages in any language).
    language = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)

    def clean_email(self) -> str:
        return validate_address(self.cleaned_data["email"])

    def clean_source(self) -> str:
        return self.cleaned_data.get("source") or Source.PAGE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The boxes offer the default newsletters without listing them; a form that lists
        # them (`listed`) and comes back with none ticked is a mistake to point out.
        if self.data.get("listed") and not data.get("newsletters"):
            self.add_error("newsletters", ValidationError(_("Choose at least one newsletter.")))
        return data


class PreferencesForm(forms.Form):
    newsletters = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Your newsletters"),
        queryset=selectors.newsletters_offered(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
