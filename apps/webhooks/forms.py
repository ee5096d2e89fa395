"""The endpoint form: parse and validate; the service checks everything again and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.webhooks.events import ALL, EVENT_CHOICES, EVENTS
from apps.webhooks.security import check_url_for_registration


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        help_text=_("Where to POST the events, e.g. https://hooks.example.com/inkwell."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.descriptions = {ALL: _("Every event, including ones added later."), **EVENTS}

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            return check_url_for_registration(url)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
