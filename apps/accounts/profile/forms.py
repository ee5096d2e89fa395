"""Profile and deletion forms: parse and validate; the services write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.profile.avatars import ACCEPT, open_avatar
from apps.accounts.profile.services import (
    BIO_MAX,
    DISPLAY_NAME_MAX,
    ProfileChanges,
    clean_username,
)
from apps.core.languages import site_languages


class ProfileForm(forms.Form):
    """The public profile. A plain Form, so an invalid post never touches the user object."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=DISPLAY_NAME_MAX,
        required=False,
        help_text=_("Shown on your posts and comments. Leave it empty to show your username."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        help_text=_(
            "Your public page is /authors/<username>/. Lowercase letters, digits, "
            "hyphens and underscores."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    bio = forms.CharField(
        label=_("Bio"),
        max_length=BIO_MAX,
        required=False,
        help_text=_(
            "A few lines about you. You can use *emphasis*, **bold**, [links](https://…), "
            "lists and `code`."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    avatar = forms.FileField(
        label=_("New avatar"),
        required=False,
        help_text=_(
            "JPEG, PNG, WebP or GIF, up to 5 MB. We crop it to a square and remove "
            "its metadata (such as where a photo was taken)."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The language of the emails we send you and of your dashboard."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        kwargs.setdefault(
            "initial",
            {
                "display_name": user.display_name,
                "username": user.username,
                "bio": user.bio,
                "language": user.language,
            },
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("The site’s default language")),
            *[(language.code, language.name) for language in site_languages()],
        ]

    def clean_username(self) -> str:
        return clean_username(self.cleaned_data["username"], user=self.user)

    def clean_avatar(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("avatar")
        if upload is not None:
            open_avatar(upload).close()  # early, precise errors; the service checks again
        return upload

    def changes(self) -> ProfileChanges:
        """The validated input, for `update_profile`."""
        data = self.cleaned_data
        return ProfileChanges(
            display_name=data["display_name"],
            username=data["username"],
            bio=data["bio"],
            avatar=data.get("avatar"),
            remove_avatar=bool(data.get("remove_avatar")),
            language=data.get("language", "") if "language" in self.data else None,
        )


class DeleteAccountForm(forms.Form):
    """Confirms a deletion with the password and, when the user has one, a second-factor code."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Second-factor code"),
        max_length=32,
        required=False,
        help_text=_("A code from your authenticator app, a backup code, or an emailed code."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["otp_token"].required = True
        else:
            del self.fields["otp_token"]
