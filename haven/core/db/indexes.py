"""Dropping an index that another covers, for a migration.

Every index is written on every insert: a contact save inserts a contact and a
few stock movements, so an index on a column that leads a wider index (a
foreign key beside a (foreign key, time) index) is work for nothing. Django's
AlterField(db_index=False) drops such an index on PostgreSQL, but on SQLite it
remakes the whole table, minutes for the millions of rows a county keeps.
`drop_covered_index` drops it by name on both, and makes it again when the
migration is reversed.
"""

from django.db import migrations


def drop_covered_index(app_label, model_name, field_name, field):
    """The operation that makes `field` (the model's field `field_name`, now
    without db_index) the model's and drops its own single-column index."""

    def single_column_indexes(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        named = {index.name for index in model._meta.indexes}
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
        return model, [
            name
            for name, about in constraints.items()
            if about["index"]
            and not about["unique"]
            and not about["primary_key"]
            and about["columns"] == [column]
            and name not in named  # Meta.indexes (a partial index on the column stays)
        ]

    def drop(apps, schema_editor):
        _model, names = single_column_indexes(apps, schema_editor)
        for name in names:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def make_again(apps, schema_editor):
        model, names = single_column_indexes(apps, schema_editor)
        if not names:
            schema_editor.execute(
                schema_editor._create_index_sql(model, fields=[model._meta.get_field(field_name)])
            )

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(drop, make_again)],
        state_operations=[migrations.AlterField(model_name, field_name, field)],
    )
