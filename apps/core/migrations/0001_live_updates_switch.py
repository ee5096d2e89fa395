"""Create the waffle switch that turns live updates on post pages on and off."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SWITCH = "live_updates"


def create_switch(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Switch = apps.get_model("waffle", "Switch")
    Switch.objects.get_or_create(
        name=SWITCH,
        defaults={
            "active": True,
            "note": "Post pages open a WebSocket for live comments and the reader count. "
            "Turn off to shed load; pages still work without it.",
        },
    )


def delete_switch(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("waffle", "Switch").objects.filter(name=SWITCH).delete()


class Migration(migrations.Migration):
    dependencies = [("waffle", "0004_update_everyone_nullbooleanfield")]

    operations = [migrations.RunPython(create_switch, delete_switch)]
