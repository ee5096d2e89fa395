"""Parse what the posts, revisions, categories and tags pages receive; nothing here saves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Category, Post, Tag
from apps.blog.selectors import DASHBOARD_POST_SORTS

DEFAULT_SORT = "-updated"
SORTS = {*DASHBOARD_POST_SORTS, *(f"-{key}" for key in DASHBOARD_POST_SORTS)}

SCOPE_ALL, SCOPE_MINE = "all", "mine"


class UserChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.name


class PostFilterForm(forms.Form):
    q = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": "Words in the title"}),
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Post.Status.choices]
    )
    author = UserChoiceField(
        label="Author", required=False, queryset=User.objects.none(), empty_label="Anyone"
    )
    category = forms.ModelChoiceField(
        label="Category", required=False, queryset=Category.objects.all(), empty_label="Any"
    )
    tag = forms.ModelChoiceField(
        label="Tag", required=False, queryset=Tag.objects.all(), empty_label="Any"
    )
    # Set by the scope switch and the column headers, kept by the filters (see posts/list.html).
    scope = forms.ChoiceField(
        required=False, choices=[(SCOPE_ALL, "All posts"), (SCOPE_MINE, "My posts")]
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
BULK_ACTIONS: dict[str, tuple[str, str]] = {
    "publish": ("Publish now", "post.publish"),
    "archive": ("Archive", "post.publish"),
    "category": ("Change category", "post.create"),
    "delete": ("Delete", "post.delete"),
}
NO_CATEGORY = "none"


def bulk_actions_for(user: User) -> list[tuple[str, str]]:
    """The bulk actions worth showing this user (each post is checked again by its service)."""
    return [(name, label) for name, (label, action) in BULK_ACTIONS.items() if can(user, action)]


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(label="With the selected posts")
    category = forms.ChoiceField(label="Move to category", required=False)
    posts = forms.ModelMultipleChoiceField(
        queryset=Post.objects.none(),
        error_messages={
            "required": "Select at least one post.",
            "invalid_choice": "A selected post no longer exists or is not yours: reload the page.",
            "invalid_pk_value": "A selected post no longer exists or is not yours: reload the page.",
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
        self.fields["action"].choices = [("", "Choose an action…"), *actions]  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            (NO_CATEGORY, "No category"),
            *((pk, category.name) for pk, category in self.categories.items()),
        ]
        cast(forms.ModelMultipleChoiceField[Post], self.fields["posts"]).queryset = posts

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "category" and not data.get("category"):
            self.add_error("category", "Choose the category to move the posts to.")
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
    name = forms.CharField(label="Name", max_length=Category._meta.get_field("name").max_length)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Optional: shown on its public page"}),
    )

    def add_service_error(self, error: ValidationError) -> None:
        """Attach a service's ValidationError to the field it names, or to the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class TagForm(CategoryForm):
    name = forms.CharField(label="Name", max_length=Tag._meta.get_field("name").max_length)


class TagFilterForm(forms.Form):
    q = forms.CharField(
        label="Search tags",
        required=False,
        max_length=60,
        widget=forms.SearchInput(attrs={"placeholder": "Part of a tag name"}),
    )

    def search(self) -> str:
        self.is_valid()
        return (self.cleaned_data.get("q") or "").strip()


class TagMergeForm(forms.Form):
    sources = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        error_messages={
            "required": "Tick the tags to merge.",
            "invalid_choice": "A selected tag no longer exists: reload the page.",
        },
    )
    target = forms.ModelChoiceField(
        label="Merge the ticked tags into",
        queryset=Tag.objects.all(),
        empty_label="Choose the tag to keep…",
        error_messages={
            "required": "Choose the tag to merge into.",
            "invalid_choice": "That tag no longer exists: reload the page.",
        },
    )

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)
