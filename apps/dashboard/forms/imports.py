"""Parse the site import page's input: which platform, the file(s), dry run."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.dashboard.forms.editor import CHECKBOX, INPUT
from apps.transfer.models import ImportRun
from apps.transfer.services import sniff

EXTENSIONS = {ImportRun.Source.WXR: ".xml", ImportRun.Source.GHOST: ".json"}


class SiteImportForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Import from"),
        choices=ImportRun.Source.choices,
        initial=ImportRun.Source.WXR,
        widget=forms.Select(attrs={"class": INPUT}),
    )
    file = forms.FileField(
        label=_("Export file"),
        help_text=_(
            "WordPress: the .xml file from Tools → Export. Ghost: the .json file from "
            "Settings → Labs → Export your content."
        ),
        error_messages={"required": _("Choose the export file to import.")},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xml,.json,application/xml,text/xml,application/json"}
        ),
    )
    members = forms.FileField(
        label=_("Ghost members CSV (optional)"),
        required=False,
        help_text=_("Members who chose to receive emails become newsletter subscribers."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: report what would happen, change nothing"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": CHECKBOX}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload: UploadedFile | None = data.get("file")
        source = str(data.get("source") or "")
        if upload is None or not source:
            return data
        limit = settings.TRANSFER_MAX_UPLOAD_BYTES
        if upload.size is not None and upload.size > limit:
            self.add_error(
                "file",
                gettext("The file is larger than %(size)s MB.") % {"size": limit // 1024**2},
            )
            return data
        wanted = EXTENSIONS[ImportRun.Source(source)]
        if Path(upload.name or "").suffix.lower() != wanted:
            self.add_error(
                "file",
                gettext("A %(source)s import needs a %(extension)s file, not “%(name)s”.")
                % {
                    "source": ImportRun.Source(source).label,
                    "extension": wanted,
                    "name": Path(upload.name or "").name,
                },
            )
            return data
        head = upload.read(64 * 1024)
        upload.seek(0)
        try:
            sniff(source, head)
        except ValidationError as error:
            self.add_error("file", error.messages[0])
        members: UploadedFile | None = data.get("members")
        if members is not None:
            if source != ImportRun.Source.GHOST:
                self.add_error("members", gettext("A members CSV goes with a Ghost import only."))
            elif Path(members.name or "").suffix.lower() != ".csv":
                self.add_error("members", gettext("The members list must be a .csv file."))
        return data
