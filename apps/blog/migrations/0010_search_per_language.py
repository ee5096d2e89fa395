"""Full-text search in each post's own language (PostgreSQL): stemming and stop words of the
language the post is written in, through `inkwell_search_config(language)`.

The generated columns of blog.0004 and blog.0008 used the English configuration for every
post; they are made again with the post's language's. The function is IMMUTABLE (a generated
column needs that) and names a configuration PostgreSQL ships; a language without one gets
`simple` (no stemming). apps.blog.search_postgres.TEXT_SEARCH_CONFIGS is the same table.
SQLite has no tsvector; there search matches tokens instead.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "pt-br": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_WHEN = "\n".join(
    f"        WHEN '{code}' THEN '{name}'::regconfig" for code, name in CONFIGS.items()
)
FUNCTION = f"""
CREATE OR REPLACE FUNCTION inkwell_search_config(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(language)
{_WHEN}
        ELSE 'simple'::regconfig
    END
$$;
"""


def _columns(config: str) -> str:
    return f"""
DROP INDEX IF EXISTS blog_post_search_document_gin;
DROP INDEX IF EXISTS blog_post_search_head_gin;
ALTER TABLE blog_post DROP COLUMN IF EXISTS search_document;
ALTER TABLE blog_post DROP COLUMN IF EXISTS search_head;
ALTER TABLE blog_post ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector({config}, coalesce(title, '')), 'A') ||
    setweight(to_tsvector({config}, coalesce(subtitle, '') || ' ' || coalesce(excerpt, '')), 'B') ||
    setweight(to_tsvector({config}, coalesce(body, '')), 'C')
) STORED;
ALTER TABLE blog_post ADD COLUMN search_head tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector({config}, coalesce(title, '')), 'A') ||
    setweight(to_tsvector({config}, coalesce(subtitle, '') || ' ' || coalesce(excerpt, '')), 'B')
) STORED;
CREATE INDEX blog_post_search_document_gin ON blog_post USING GIN (search_document);
CREATE INDEX blog_post_search_head_gin ON blog_post USING GIN (search_head);
"""


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(_columns("inkwell_search_config(language)"))


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_columns("'english'::regconfig"))
        schema_editor.execute("DROP FUNCTION IF EXISTS inkwell_search_config(text);")


class Migration(migrations.Migration):
    dependencies = [("blog", "0009_translations")]

    operations = [migrations.RunPython(forwards, backwards)]
