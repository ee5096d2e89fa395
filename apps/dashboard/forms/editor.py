"""Parse and validate what the post editor sends; nothing here saves.

The editor form turns into a `PostContent` for `save_post_draft`; the workflow and
preview-link forms live in `forms.publishing`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post, Tag
from apps.blog.selectors import coauthor_candidates
from apps.blog.services import PostContent, slug_follows_title
from apps.blog.services.media import ALLOWED_FORMATS, MAX_BYTES
from apps.blog.services.posts import MAX_BODY_CHARS
from apps.core.languages import site_languages

MAX_NEW_TAGS = 10
IMAGE_ACCEPT = ",".join(f"image/{ext.replace('jpg', 'jpeg')}" for ext in ALLOWED_FORMATS.values())

INPUT = (
    "block w-full rounded-lg border-0 px-3 py-2 text-slate-900 ring-1 ring-inset ring-slate-300 "
    "placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-ink-500 "
    "aria-[invalid=true]:ring-red-500 dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-700 "
    "dark:aria-[invalid=true]:ring-red-500"
)
CHECKBOX = (
    "h-4 w-4 rounded border-slate-300 text-ink-600 focus:ring-ink-500 "
    "dark:border-slate-600 dark:bg-slate-800"
)


# Fields shown in the editor's settings panel, outside the <form> element: their inputs name
# the form they belong to, so they still submit, autosave and reach `form.elements` with it.
FORM_ID = "post-form"
SETTINGS_FIELDS = (
    "slug", "excerpt", "category", "featured", "tags", "new_tags", "coauthors",
    "cover_image", "remove_cover", "cover_alt", "seo_title", "seo_description", "canonical_url",
)  # fmt: skip


class CoauthorField(forms.ModelMultipleChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.name


class PostEditorForm(forms.Form):
    """Everything an author edits. `autosave=True` leaves out what only an explicit save does:
    creating tags, changing the cover, and the cover-description check."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("A post needs a title.")},
        widget=forms.TextInput(
            attrs={
                "class": "block w-full border-0 bg-transparent px-0 py-1 font-serif text-3xl font-bold "
                "tracking-tight text-slate-900 placeholder:text-slate-300 focus:ring-0 sm:text-4xl "
                "dark:text-white dark:placeholder:text-slate-600",
                "placeholder": _("Title"),
                "autocomplete": "off",
                "data-editor-title": "",
            }
        ),
    )
    subtitle = forms.CharField(
        label=_("Subtitle"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "block w-full border-0 bg-transparent px-0 py-1 text-xl text-slate-600 "
                "placeholder:text-slate-300 focus:ring-0 dark:text-slate-300 dark:placeholder:text-slate-600",
                "placeholder": _("Subtitle (optional)"),
                "autocomplete": "off",
            }
        ),
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=MAX_BODY_CHARS,
        error_messages={"required": _("Write something in the body first.")},
        widget=forms.Textarea(
            attrs={
                "class": "block min-h-[28rem] w-full resize-y rounded-none border-0 bg-transparent "
                "px-4 py-4 font-serif text-[1.0625rem] leading-7 text-slate-900 placeholder:text-slate-500 "
                "focus:ring-0 dark:text-slate-100",
                "rows": 24,
                "placeholder": _("Write in Markdown…"),
                "spellcheck": "true",
                "data-editor-body": "",
            }
        ),
    )
    excerpt = forms.CharField(
        label=_("Excerpt"),
        max_length=400,
        required=False,
        help_text=_("Shown under the title and on post cards. Up to 400 characters."),
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3, "data-counter": "400"}),
    )
    slug = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_(
            "Letters, numbers and hyphens. Left empty, it follows the title until the post "
            "is published."
        ),
        widget=forms.TextInput(
            attrs={
                "class": INPUT,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": _("made from the title"),
            }
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label=_("No category"),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"),
        queryset=Tag.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": CHECKBOX}),
    )
    new_tags = forms.CharField(
        label=_("New tags"),
        required=False,
        max_length=600,
        help_text=_("Separate with commas. New tags are created when you press Save."),
        widget=forms.TextInput(attrs={"class": INPUT, "autocomplete": "off"}),
    )
    coauthors = CoauthorField(
        label=_("Co-authors"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": CHECKBOX}),
    )
    cover_image = forms.FileField(
        label=_("Cover image"),
        required=False,  # help_text: set in __init__ (it names the size limit)
        widget=forms.FileInput(
            attrs={
                "accept": IMAGE_ACCEPT,
                "class": "block w-full text-sm text-slate-600 file:mr-4 file:rounded-lg file:border-0 "
                "file:bg-ink-50 file:px-4 file:py-2 file:text-sm file:font-semibold file:text-ink-700 "
                "hover:file:bg-ink-100 dark:text-slate-300 dark:file:bg-ink-900 dark:file:text-ink-100",
            }
        ),
    )
    remove_cover = forms.BooleanField(
        label=_("Remove the cover image"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": CHECKBOX}),
    )
    cover_alt = forms.CharField(
        label=_("Cover description"),
        max_length=200,
        required=False,
        help_text=_("Describe the picture for people who cannot see it. Required with a cover."),
        widget=forms.TextInput(attrs={"class": INPUT, "data-counter": "200"}),
    )
    seo_title = forms.CharField(
        label=_("Search title"),
        max_length=70,
        required=False,
        help_text=_("Shown in search results instead of the title. Up to 70 characters."),
        widget=forms.TextInput(attrs={"class": INPUT, "data-counter": "70"}),
    )
    seo_description = forms.CharField(
        label=_("Search description"),
        max_length=160,
        required=False,
        help_text=_("Shown under the title in search results. Up to 160 characters."),
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3, "data-counter": "160"}),
    )
    canonical_url = forms.URLField(
        label=_("Canonical URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Only if this post first appeared elsewhere: the original’s address."),
        widget=forms.URLInput(attrs={"class": INPUT, "placeholder": "https://"}),
    )
    featured = forms.BooleanField(
        label=_("Feature on the home page"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": CHECKBOX}),
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    # Set by the "overwrite with mine" button of the conflict notice: the version it saw.
    overwrite_version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    # A new post's page identifies itself, so a retried first save never makes a second post.
    draft_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        actor: User,
        post: Post | None = None,
        autosave: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor, self.post, self.autosave = actor, post, autosave
        self.can_manage_tags = can(actor, "taxonomy.manage")
        self.can_feature = can(actor, "post.publish")
        author_id = post.author_id if post else actor.pk
        self.fields["coauthors"].queryset = coauthor_candidates().exclude(pk=author_id)  # type: ignore[attr-defined]
        if not self.can_manage_tags or autosave:
            del self.fields["new_tags"]
        if not self.can_feature:
            del self.fields["featured"]
        if autosave:
            del self.fields["cover_image"], self.fields["remove_cover"]
        else:
            self.fields["cover_image"].help_text = gettext(
                "JPEG, PNG, WebP or GIF, up to %(size)s MB. Location data is removed."
            ) % {"size": MAX_BYTES // (1024 * 1024)}
        for name in SETTINGS_FIELDS:
            if name in self.fields:
                self.fields[name].widget.attrs["form"] = FORM_ID
        if post is None:
            del self.fields["version"], self.fields["overwrite_version"]
            # A new post is written in one of the site's languages (those the actor may use).
            allowed = list(actor.writes_languages or [])
            self.fields["language"] = forms.ChoiceField(
                label=_("Language"),
                required=False,
                choices=[
                    (language.code, language.name)
                    for language in site_languages()
                    if not allowed or language.code in allowed
                ],
                help_text=_("The language this post is written in. It cannot change later."),
            )
        else:
            del self.fields["draft_key"]
            self.fields["version"].required = True
            self.fields["version"].error_messages["required"] = gettext(
                "This page lost track of the post’s version: reload it and save again."
            )

    @staticmethod
    def initial_for(post: Post) -> dict[str, Any]:
        """The form's starting values for an existing post (two queries: tags, co-authors)."""
        return {
            "title": post.title,
            "subtitle": post.subtitle,
            "body": post.body,
            "excerpt": post.excerpt,
            "slug": "" if slug_follows_title(post) else post.slug,
            "category": post.category_id,
            "tags": [tag.pk for tag in post.tags.all()],
            "coauthors": [user.pk for user in post.coauthors.all()],
            "cover_alt": post.cover_alt,
            "seo_title": post.seo_title,
            "seo_description": post.seo_description,
            "canonical_url": post.canonical_url,
            "featured": post.featured,
            "version": post.version,
        }

    def clean_slug(self) -> str:
        wanted = str(self.cleaned_data.get("slug") or "").strip()
        slug = slugify(wanted)
        if wanted and not slug:
            raise forms.ValidationError(gettext("Use letters, numbers and hyphens."))
        return slug

    def clean_new_tags(self) -> list[str]:
        names: dict[str, str] = {}
        for raw in self.cleaned_data.get("new_tags", "").split(","):
            name = " ".join(raw.split())
            if not name:
                continue
            if len(name) > 60 or not slugify(name):
                raise forms.ValidationError(
                    gettext("“%(name)s” is not a usable tag name.") % {"name": name[:60]}
                )
            names.setdefault(slugify(name), name)
        if len(names) > MAX_NEW_TAGS:
            raise forms.ValidationError(
                gettext("Add at most %(count)s new tags at a time.") % {"count": MAX_NEW_TAGS}
            )
        return list(names.values())

    def clean_cover_image(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("cover_image") or None
        if upload is not None and (upload.size or 0) > MAX_BYTES:
            raise forms.ValidationError(
                gettext("Images must be %(size)s MB or smaller.")
                % {"size": MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.autosave:
            return data
        has_cover = bool(data.get("cover_image")) or bool(
            self.post and self.post.cover_image and not data.get("remove_cover")
        )
        if has_cover and not data.get("cover_alt", "").strip():
            self.add_error(
                "cover_alt",
                gettext(
                    "Describe the cover image: people using screen readers, and everyone when "
                    "it fails to load, get this text instead."
                ),
            )
        return data

    # -- after is_valid() -------------------------------------------------

    @property
    def based_on_version(self) -> int:
        """The version this edit started from; the conflict notice's overwrite replaces it."""
        return int(self.cleaned_data.get("overwrite_version") or self.cleaned_data["version"])

    @property
    def new_tag_names(self) -> list[str]:
        names: list[str] = self.cleaned_data.get("new_tags") or []
        return names

    def content(self) -> PostContent:
        """The edit as a `PostContent` (the service decides what this actor may change)."""
        data = self.cleaned_data
        return PostContent(
            title=data["title"],
            body=data["body"],
            slug=data["slug"],
            subtitle=data["subtitle"],
            excerpt=data["excerpt"],
            category=data["category"],
            tags=list(data["tags"]),
            coauthors=list(data["coauthors"]),
            cover_alt=data["cover_alt"],
            seo_title=data["seo_title"],
            seo_description=data["seo_description"],
            canonical_url=data["canonical_url"],
            featured=data.get("featured", False),
            language=data.get("language") or "",
        )

    @property
    def cover_upload(self) -> UploadedFile | None:
        """A new cover image, when one was chosen (never on autosave)."""
        upload: UploadedFile | None = self.cleaned_data.get("cover_image") or None
        return upload

    @property
    def removes_cover(self) -> bool:
        return bool(self.cleaned_data.get("remove_cover")) and self.cover_upload is None


class PreviewForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    excerpt = forms.CharField(max_length=400, required=False)
    body = forms.CharField(max_length=MAX_BODY_CHARS, required=False)


class ImageUploadForm(forms.Form):
    image = forms.FileField(error_messages={"required": _("Choose an image to upload.")})
    alt = forms.CharField(max_length=200, required=False)
