"""A small weighted tsvector of the title (A) and subtitle and excerpt (B), kept by the database.

Search ranks by it: it sits in the table row (a few hundred bytes), while the whole
`search_document` (blog.0004) is large enough to be stored out of line, so reading it
for every candidate cost tens of microseconds a row. Its GIN index finds title matches
among all posts. SQLite has no tsvector; there search matches tokens instead.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CREATE = """
ALTER TABLE blog_post ADD COLUMN search_head tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(subtitle, '') || ' ' || coalesce(excerpt, '')), 'B')
) STORED;
CREATE INDEX blog_post_search_head_gin ON blog_post USING GIN (search_head);
"""
DROP = """
DROP INDEX IF EXISTS blog_post_search_head_gin;
ALTER TABLE blog_post DROP COLUMN IF EXISTS search_head;
"""


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("blog", "0007_post_author_to_former_author")]

    operations = [migrations.RunPython(forwards, backwards)]
