"""Create the four roles as groups with explicit permissions (apps.accounts.roles)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here: a migration must not import code that may change later.
ROLE_PERMISSIONS = {
    "reader": [],
    "author": ["blog.add_post", "blog.change_post", "blog.view_post"],
    "editor": [
        "blog.add_post", "blog.change_post", "blog.view_post", "blog.delete_post",
        "blog.review_post", "blog.publish_post", "blog.edit_any_post",
        "blog.add_category", "blog.change_category", "blog.delete_category",
        "blog.add_tag", "blog.change_tag", "blog.delete_tag",
    ],
    "admin": [
        "blog.add_post", "blog.change_post", "blog.view_post", "blog.delete_post",
        "blog.review_post", "blog.publish_post", "blog.edit_any_post",
        "blog.add_category", "blog.change_category", "blog.delete_category",
        "blog.add_tag", "blog.change_tag", "blog.delete_tag",
        "accounts.manage_roles", "accounts.view_user", "accounts.view_audit_log",
        "waffle.change_switch", "waffle.change_flag",
    ],
}  # fmt: skip


def create_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        objects = []
        for perm in perms:
            app_label, codename = perm.split(".")
            objects.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(objects)


def delete_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_profile_and_audit"),
        ("blog", "0002_alter_post_options"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
