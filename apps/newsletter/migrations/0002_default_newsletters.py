"""A new site starts with two newsletters: a weekly digest (the default list) and announcements."""

from django.db import migrations

DEFAULTS = [
    ("Weekly digest", "weekly", "The week's new posts, every Friday.", True, 0),
    ("Announcements", "announcements", "Now and then: news about this site.", False, 1),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    newsletter = apps.get_model("newsletter", "Newsletter")
    for name, slug, description, is_default, position in DEFAULTS:
        newsletter.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "is_default": is_default,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
