"""Every entry is chained; the database itself refuses to change or delete entries.

SQLite rebuilds a table to alter it, which drops its triggers: a later
migration that alters core_auditentry must make these triggers again
(haven/core/tests/test_audit_chain.py fails if they are gone).
"""

from django.db import migrations, models

POSTGRESQL = """
CREATE OR REPLACE FUNCTION haven_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
            AND current_setting('haven.audit_may_be_emptied', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: % refused.', TG_OP;
END;
$$;
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION haven_audit_append_only();
CREATE TRIGGER core_auditentry_no_truncate
    BEFORE TRUNCATE ON core_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION haven_audit_append_only();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER core_auditentry_no_truncate ON core_auditentry;
DROP TRIGGER core_auditentry_append_only ON core_auditentry;
DROP FUNCTION haven_audit_append_only();
"""
SQLITE = [
    """
    CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: UPDATE refused.'); END
    """,
    """
    CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
    WHEN NOT haven_audit_may_be_emptied()
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: DELETE refused.'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER core_auditentry_no_update",
    "DROP TRIGGER core_auditentry_no_delete",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_chain_existing_entries'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='sequence',
            field=models.PositiveBigIntegerField(editable=False, unique=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
