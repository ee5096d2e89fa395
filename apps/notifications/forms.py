"""The notification settings form: one radio group per kind."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.notifications.models import ADMIN_KINDS, Delivery, Kind

# The kinds a reader chooses how to hear about (admins' notices about the site are not theirs).
CHOSEN_KINDS = [kind for kind in Kind if kind.value not in ADMIN_KINDS]


class PreferencesForm(forms.Form):
    """One required choice (in_app, email or off) for every kind of notification."""

    def __init__(self, *args: Any, initial_choices: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in CHOSEN_KINDS:
            self.fields[kind.value] = forms.ChoiceField(
                label=str(kind.label),
                choices=Delivery.choices,
                widget=forms.RadioSelect,
                initial=initial_choices.get(kind.value, Delivery.IN_APP),
            )

    def choices(self) -> dict[str, str]:
        return {kind.value: self.cleaned_data[kind.value] for kind in CHOSEN_KINDS}
