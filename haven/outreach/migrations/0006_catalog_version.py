"""The contact catalog's version: a token the database changes with the catalog.

SQLite rebuilds a table to alter it, which drops its triggers: a later
migration that alters one of CATALOG_TABLES must make its triggers again
(haven/outreach/tests/test_catalog.py fails if they are gone).
"""

from django.db import migrations, models

CATALOG_TABLES = [
    "accounts_site",
    "outreach_service",
    "supplies_item",
    "supplies_kit",
    "supplies_kitcomponent",
]
# A random token, never a counter: a counter goes back when a change is rolled
# back (or a test database flushed) and could then match a stale copy.
NEW_TOKEN = {
    "postgresql": "gen_random_uuid()::text",
    "sqlite": "lower(hex(randomblob(16)))",
}
UPSERT = (
    "INSERT INTO outreach_catalogversion (id, token) VALUES (1, {token}) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in NEW_TOKEN:
        return
    upsert = UPSERT.format(token=NEW_TOKEN[vendor])
    schema_editor.execute(upsert, params=None)
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION haven_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {upsert}; RETURN NULL; END; $$",
            params=None,
        )
        for table in CATALOG_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_catalog_changed "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION haven_catalog_changed()",
                params=None,
            )
    else:
        for table in CATALOG_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_catalog_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {upsert}; END",
                    params=None,
                )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in CATALOG_TABLES:
            schema_editor.execute(f"DROP TRIGGER {table}_catalog_changed ON {table}", params=None)
        schema_editor.execute("DROP FUNCTION haven_catalog_changed()", params=None)
    elif vendor == "sqlite":
        for table in CATALOG_TABLES:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER {table}_catalog_{event}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0005_encounter_encounter_time_participant_idx"),
        ("accounts", "0003_user_manager_for_break_glass"),
        ("supplies", "0003_stockmovement_movement_flagged_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=36)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
