"""Let the append-only trigger allow the one update deleting an account makes.

Deleting a user sets `actor_id`/`target_id` to NULL on their audit rows
(on_delete=SET_NULL). The labels keep who it was; every other column must stay
exactly as written.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ALLOW_FK_NULLING = """
CREATE OR REPLACE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (NEW.target_id IS NULL OR NEW.target_id = OLD.target_id)
       AND (NEW.id, NEW.kind, NEW.actor_label, NEW.target_label, NEW.ip, NEW.user_agent,
            NEW.data, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.kind, OLD.actor_label, OLD.target_label, OLD.ip, OLD.user_agent,
            OLD.data, OLD.created_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'accounts_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""
STRICT = """
CREATE OR REPLACE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_FK_NULLING)


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STRICT)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_audit_append_only")]

    operations = [migrations.RunPython(forwards, backwards)]
