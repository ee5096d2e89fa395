"""Parse the newsletter pages' input: campaigns, sending, filters, CSV import, suppressions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.blog.models import Post
from apps.blog.selectors import published_posts
from apps.dashboard.forms.editor import CHECKBOX, INPUT
from apps.dashboard.forms.publishing import SiteDateTimeField
from apps.newsletter.directory import STATUSES, newsletters_for_staff
from apps.newsletter.imports import MAX_IMPORT_BYTES
from apps.newsletter.models import Newsletter

MAX_QUERY = 254


class NewsletterChoiceField(forms.ModelMultipleChoiceField[Newsletter]):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Newsletters"))
        kwargs["error_messages"] = {
            "required": _("Choose at least one newsletter."),
            **kwargs.get("error_messages", {}),
        }
        super().__init__(
            queryset=newsletters_for_staff(),
            widget=forms.CheckboxSelectMultiple(attrs={"class": CHECKBOX}),
            **kwargs,
        )


class PostChoiceField(forms.ModelChoiceField[Post]):
    def label_from_instance(self, obj: Post) -> str:
        return obj.title


def flat_errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


class CampaignForm(forms.Form):
    """A campaign written here (Markdown), or its subject and newsletters when edited."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        error_messages={"required": _("Give the mail a subject.")},
        widget=forms.TextInput(attrs={"class": INPUT, "data-counter": "200"}),
    )
    preheader = forms.CharField(
        label=_("Preheader"),
        required=False,
        max_length=200,
        help_text=_("The line inboxes show after the subject."),
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"class": INPUT + " font-mono text-sm", "rows": 14}),
    )
    newsletters = NewsletterChoiceField()


class CampaignFromPostForm(forms.Form):
    post = PostChoiceField(
        label=_("Published post"),
        queryset=Post.objects.none(),  # set per form: "published" depends on the time
        empty_label=_("Choose a post…"),
        error_messages={
            "required": _("Choose a published post."),
            "invalid_choice": _("That post is not published."),
        },
        widget=forms.Select(attrs={"class": INPUT}),
    )
    newsletters = NewsletterChoiceField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        posts = published_posts().select_related(None).prefetch_related(None)
        field = self.fields["post"]
        assert isinstance(field, PostChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = posts.only("id", "title", "published_at")


class SendForm(forms.Form):
    WHEN = (("now", _("Send now")), ("later", _("Schedule for")))
    when = forms.ChoiceField(
        label=_("When"),
        choices=WHEN,
        initial="now",
        widget=forms.RadioSelect(attrs={"class": CHECKBOX}),
    )
    at = SiteDateTimeField(label=_("Send at"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "later":
            at = data.get("at")
            if at is None:
                self.add_error("at", gettext("Choose when to send it."))
            elif at <= timezone.now():
                self.add_error("at", gettext("Choose a time in the future."))
        else:
            data["at"] = None
        return data


class PostEmailForm(forms.Form):
    newsletters = NewsletterChoiceField(label=_("Also email this post to subscribers of"))


class SubscriberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search by address"),
        required=False,
        max_length=MAX_QUERY,
        widget=forms.SearchInput(attrs={"class": INPUT, "placeholder": "name@example.com"}),
    )
    newsletter = forms.ModelChoiceField(
        label=_("Newsletter"),
        queryset=newsletters_for_staff(),
        required=False,
        empty_label=_("All newsletters"),
        widget=forms.Select(attrs={"class": INPUT}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *STATUSES.items()],
        widget=forms.Select(attrs={"class": INPUT}),
    )

    def filters(self) -> dict[str, Any]:
        """What the list shows; an invalid filter is ignored rather than answered with an error."""
        data = self.cleaned_data if self.is_valid() else {}
        newsletter = data.get("newsletter")
        return {
            "q": data.get("q", ""),
            "newsletter_id": newsletter.pk if newsletter is not None else None,
            "status": data.get("status", ""),
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, with a header row naming an “email” column; “name” and “created” are optional."
        ),
        error_messages={"required": _("Choose the CSV file to import.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    newsletters = NewsletterChoiceField(label=_("Subscribe them to"))
    consent = forms.BooleanField(
        label=_(
            "Everyone on this list agreed to receive these newsletters, and I can show when and how."
        ),
        error_messages={"required": _("You can import only people who agreed to be mailed.")},
        widget=forms.CheckboxInput(attrs={"class": CHECKBOX}),
    )
    note = forms.CharField(
        label=_("Where the consent comes from"),
        required=False,
        max_length=300,
        help_text=_("Kept with each consent record, e.g. “Sign-up sheet, book fair 2024”."),
        widget=forms.TextInput(attrs={"class": INPUT}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 10 MB; split it up."))
        return upload


class SuppressionForm(forms.Form):
    email = forms.EmailField(
        label=_("Address"),
        max_length=254,
        error_messages={
            "required": _("Enter the address."),
            "invalid": _("Enter a valid email address."),
        },
        widget=forms.EmailInput(attrs={"class": INPUT}),
    )
    detail = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
