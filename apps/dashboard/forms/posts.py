"""Parse what the posts, revisions, categories and tags pages receive; nothing here saves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post, Tag
from apps.blog.selectors import DASHBOARD_POST_SORTS
from apps.core.languages import site_languages

DEFAULT_SORT = "-updated"
SORTS = {*DASHBOARD_POST_SORTS, *(f"-{key}" for key in DASHBOARD_POST_SORTS)}

SCOPE_ALL, SCOPE_MINE = "all", "mine"


class UserChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.name


class PostFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Words in the title")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Post.Status.choices]
    )
    author = UserChoiceField(
        label=_("Author"), required=False, queryset=User.objects.none(), empty_label=_("Anyone")
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.all(),
        empty_label=_("Any"),
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=Tag.objects.all(), empty_label=_("Any")
    )
    # Set by the scope switch and the column headers, kept by the filters (see posts/list.html).
    scope = forms.ChoiceField(
        required=False, choices=[(SCOPE_ALL, _("All posts")), (SCOPE_MINE, _("My posts"))]
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in sorted(SORTS)])

    def __init__(self, *args: Any, authors: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if authors is None:
            del self.fields["author"]  # authors see only their own posts: nobody else to pick
        else:
            cast(UserChoiceField, self.fields["author"]).queryset = authors

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `dashboard_posts`, from the fields that are valid."""
        self.is_valid()  # invalid fields drop out of cleaned_data; the valid ones still apply
        data = self.cleaned_data
        return {
            "everyone": data.get("scope") != SCOPE_MINE,
            "status": data.get("status") or "",
            "author": data.get("author"),
            "category": data.get("category"),
            "tag": data.get("tag"),
            "search": (data.get("q") or "").strip(),
            "sort": data.get("sort") or DEFAULT_SORT,
        }


# Bulk action → (label, permission action that makes it worth offering).
BULK_ACTIONS: dict[str, tuple[str | Promise, str]] = {
    "publish": (_("Publish now"), "post.publish"),
    "archive": (_("Archive"), "post.publish"),
    "category": (_("Change category"), "post.create"),
    "delete": (_("Delete"), "post.delete"),
}
NO_CATEGORY = "none"


def bulk_actions_for(user: User) -> list[tuple[str, str]]:
    """The bulk actions worth showing this user (each post is checked again by its service)."""
    return [
        (name, str(label)) for name, (label, action) in BULK_ACTIONS.items() if can(user, action)
    ]


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(label=_("With the selected posts"))
    category = forms.ChoiceField(label=_("Move to category"), required=False)
    posts = forms.ModelMultipleChoiceField(
        queryset=Post.objects.none(),
        error_messages={
            "required": _("Select at least one post."),
            "invalid_choice": _(
                "A selected post no longer exists or is not yours: reload the page."
            ),
            "invalid_pk_value": _(
                "A selected post no longer exists or is not yours: reload the page."
            ),
        },
    )
    confirm = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        actions: Sequence[tuple[str, str]],
        posts: QuerySet[Post],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {str(category.pk): category for category in Category.objects.all()}
        self.fields["action"].choices = [("", gettext("Choose an action…")), *actions]  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Choose…")),
            (NO_CATEGORY, gettext("No category")),
            *((pk, category.name) for pk, category in self.categories.items()),
        ]
        cast(forms.ModelMultipleChoiceField[Post], self.fields["posts"]).queryset = posts

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "category" and not data.get("category"):
            self.add_error("category", gettext("Choose the category to move the posts to."))
        return data

    @property
    def chosen_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category") or "")

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


class RevisionCompareForm(forms.Form):
    a = forms.IntegerField(required=False, min_value=1)
    b = forms.IntegerField(required=False, min_value=1)

    def chosen(self) -> tuple[int | None, int | None]:
        self.is_valid()
        return self.cleaned_data.get("a"), self.cleaned_data.get("b")


class RestoreForm(forms.Form):
    # The version of the post the page showed: a save made since then is a conflict.
    version = forms.IntegerField(min_value=1)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Category._meta.get_field("name").max_length)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Optional: shown on its public page")}),
    )

    def __init__(self, *args: Any, item: Category | Tag | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The name and address in each of the site's other languages (empty: the default's).
        existing = item.translations if item is not None else {}
        self.language_fields: list[tuple[str, str, str]] = []
        for language in site_languages()[1:]:
            entry = existing.get(language.code, {})
            self.fields[f"name_{language.code}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": language.name},
                required=False,
                max_length=80,
                initial=entry.get("name", ""),
            )
            self.fields[f"slug_{language.code}"] = forms.CharField(
                label=_("Address in %(language)s") % {"language": language.name},
                required=False,
                max_length=80,
                initial=entry.get("slug", ""),
                help_text=_("Empty: made from the name."),
            )
            self.language_fields.append(
                (language.code, f"name_{language.code}", f"slug_{language.code}")
            )

    def language_bound_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[name], self[slug]) for _code, name, slug in self.language_fields]

    def saved(self) -> dict[str, Any]:
        """What the taxonomy services take: name, description and the translated names."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "translations": {
                code: {"name": data.get(name, ""), "slug": data.get(slug, "")}
                for code, name, slug in self.language_fields
            },
        }

    def add_service_error(self, error: ValidationError) -> None:
        """Attach a service's ValidationError to the field it names, or to the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class TagForm(CategoryForm):
    name = forms.CharField(label=_("Name"), max_length=Tag._meta.get_field("name").max_length)


class TagFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search tags"),
        required=False,
        max_length=60,
        widget=forms.SearchInput(attrs={"placeholder": _("Part of a tag name")}),
    )

    def search(self) -> str:
        self.is_valid()
        return (self.cleaned_data.get("q") or "").strip()


class TagMergeForm(forms.Form):
    sources = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        error_messages={
            "required": _("Tick the tags to merge."),
            "invalid_choice": _("A selected tag no longer exists: reload the page."),
        },
    )
    target = forms.ModelChoiceField(
        label=_("Merge the ticked tags into"),
        queryset=Tag.objects.all(),
        empty_label=_("Choose the tag to keep…"),
        error_messages={
            "required": _("Choose the tag to merge into."),
            "invalid_choice": _("That tag no longer exists: reload the page."),
        },
    )

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)
