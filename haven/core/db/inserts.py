"""Inserting model instances with one hand-written statement, for the hottest writes.

A contact save inserts into five tables. Django's bulk_create builds each
INSERT afresh through its query compiler, which cost more CPU than the
database spent running it. `insert` writes the same statement from the
model's own fields: each value goes through the field's pre_save and
get_db_prep_save, as in Model.save (defaults, auto_now, encryption of
encrypted fields, UUIDs and JSON as the database takes them), so the rows
are the ones bulk_create would write; the plainest fields (whole numbers,
text, ids of other rows) skip those calls when the value already has the
type they would give back. It sends no signals, as bulk_create does not:
use it only for models that have none.
"""

from functools import cache

from django.db import connections, models

from haven.core.db import batch
from haven.core.db.hot import hot


@cache
def _insert_fields(model):
    """The model's columns to insert: every concrete field but an automatic primary key."""
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.db_returning)
    ]


# Field classes (exactly these, not subclasses such as encrypted text) whose
# pre_save and get_db_prep_save give back an attribute value of this type as it is.
_PLAIN = {
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
    models.CharField: str,
    models.TextField: str,
}
_NUMBERED = (models.AutoField, models.BigAutoField)


@cache
def _plain_types(model):
    """For each field to insert, the type whose values go to the database as they
    are (None: always through the field), and the attribute to read."""
    plain = []
    for field in _insert_fields(model):
        kind = _PLAIN.get(type(field))
        if type(field) is models.ForeignKey and type(field.target_field) in _NUMBERED:
            kind = int
        plain.append((field, field.attname, kind))
    return plain


@cache
def _relations(model):
    return [field for field in _insert_fields(model) if field.is_relation]


def _values(obj, plain, connection):
    values = []
    for field, attname, kind in plain:
        value = getattr(obj, attname)
        if kind is None or (value is not None and type(value) is not kind):
            value = field.get_db_prep_save(field.pre_save(obj, True), connection)
        values.append(value)
    return values


_statements = {}


def _statement(model, connection, rows, returning=True):
    key = (model, connection.vendor, rows, returning)
    if key not in _statements:
        quote = connection.ops.quote_name
        fields = _insert_fields(model)
        row = f"({', '.join(['%s'] * len(fields))})"
        # Only quoted names from the model go into the text; values are parameters.
        _statements[key] = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row] * rows)}"
            + (f" RETURNING {quote(model._meta.pk.column)}" if returning else "")
        )
    return _statements[key]


def insert(objs, using="default", *, returning=True):
    """INSERT unsaved instances of one model, in one statement (a few for thousands
    of rows on SQLite, which limits a statement's parameters); sets their primary keys.

    returning=False: rows nobody reads back (their primary keys stay unset),
    written with haven/core/db/batch.py, so inside batch.together() they wait
    to go with the next statement."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    fields = _insert_fields(model)
    plain = _plain_types(model)
    relations = _relations(model)
    per_statement = max(1, connection.ops.bulk_batch_size(fields, objs))
    if not returning:
        per_statement = batch.rows_per_statement(len(fields), per_statement, using)
    for start in range(0, len(objs), per_statement):
        chunk = objs[start : start + per_statement]
        for obj in chunk:
            # A foreign key to an object saved after it was assigned takes its
            # id now, as bulk_create does (an unsaved one is refused): Django's
            # check, asked only of a row with such a key left empty.
            if any(
                getattr(obj, field.attname) is None and field.is_cached(obj) for field in relations
            ):
                obj._prepare_related_fields_for_save(operation_name="insert")
        params = [value for obj in chunk for value in _values(obj, plain, connection)]
        if not returning:
            batch.write(_statement(model, connection, len(chunk), False), params, using=using)
            continue
        with connection.cursor() as cursor:
            cursor.execute(hot(_statement(model, connection, len(chunk))), params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = using
    return objs
