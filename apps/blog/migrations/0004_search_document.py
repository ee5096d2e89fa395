"""PostgreSQL full-text search: a weighted tsvector column kept by the database, with a GIN index.

Title weighs most (A), then subtitle and excerpt (B), then the body (C). The
column is generated, so every write keeps it current without application code.
SQLite has no tsvector; there the search selector matches tokens instead.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CREATE = """
ALTER TABLE blog_post ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(subtitle, '') || ' ' || coalesce(excerpt, '')), 'B') ||
    setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
) STORED;
CREATE INDEX blog_post_search_document_gin ON blog_post USING GIN (search_document);
"""
DROP = """
DROP INDEX IF EXISTS blog_post_search_document_gin;
ALTER TABLE blog_post DROP COLUMN IF EXISTS search_document;
"""


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("blog", "0003_content_model")]

    operations = [migrations.RunPython(forwards, backwards)]
