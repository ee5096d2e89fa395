"""Sign-up: when a pending subscription was asked for, and the switch for the sign-up boxes."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SWITCH = "newsletter_signup"


def create_switch(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    switch = apps.get_model("waffle", "Switch")
    switch.objects.get_or_create(
        name=SWITCH,
        defaults={
            "active": True,
            "note": "The newsletter sign-up box at the end of every post and on the home page. "
            "Turn off to hide it; /newsletter/ still works.",
        },
    )


def delete_switch(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("waffle", "Switch").objects.filter(name=SWITCH).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0002_default_newsletters"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(create_switch, delete_switch),
    ]
