"""On PostgreSQL a CharField with db_index gets a second index for LIKE patterns
(varchar_pattern_ops). Nothing searches the audit log's action or object type by
pattern, and every entry (one a contact save, one a read) was written to both.
The plain indexes stay (the audit log's filters and its list of types use them);
the model keeps db_index, and Django drops these by name with IF EXISTS, so a
later change of the fields still migrates."""

from django.db import migrations

PATTERN_INDEXES = ("action", "object_type")


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("core", "AuditEntry")
    for name in PATTERN_INDEXES:
        index = schema_editor._create_index_name(
            model._meta.db_table, [model._meta.get_field(name).column], suffix="_like"
        )
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")


def make_them_again(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("core", "AuditEntry")
    for name in PATTERN_INDEXES:
        field = model._meta.get_field(name)
        schema_editor.execute(schema_editor._create_like_index_sql(model, field))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_rate_counts"),
    ]

    operations = [migrations.RunPython(drop_pattern_indexes, make_them_again)]
