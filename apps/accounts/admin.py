from typing import ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from apps.accounts.models import User


class InkwellUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"


class InkwellUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username")


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    form = InkwellUserChangeForm
    add_form = InkwellUserCreationForm
    ordering = ("email",)
    list_display = ("email", "username", "display_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "username", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("username", "display_name", "bio", "language")}),
        # Authors restricted to some languages (a JSON list of codes, e.g. ["de"]; empty: any).
        ("Languages they write in", {"fields": ("writes_languages",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )
    readonly_fields: ClassVar = ("last_login", "date_joined")
