"""Reading model instances with a hand-written statement, for the hottest reads.

A contact save reads a few rows by key (the participant by card code, the
bag, its balances with their lots). Django builds each such query afresh,
about 0.2-0.7 ms of CPU, twenty times what running it costs. `instances`
turns a row into the instance the ORM would have made: every value passes
through the converters the ORM applies (the backend's, e.g. SQLite's
datetimes made aware, and the field's own from_db_value, e.g. decryption),
then Model.from_db. The statement text is the caller's, with parameters.
"""

import functools

from django.db import connections

from haven.core.db.hot import hot

_converters = {}


def _converters_of(model, fields, connection):
    key = (model, fields, connection.vendor)
    if key not in _converters:
        converters = []
        for name in fields:
            field = model._meta.get_field(name)
            column = field.get_col(model._meta.db_table)
            converters.append(
                [
                    (converter, column)
                    for converter in connection.ops.get_db_converters(column)
                    + field.get_db_converters(connection)
                ]
            )
        _converters[key] = (column_names(model, fields), converters)
    return _converters[key]


def column_names(model, fields):
    """The attribute names (e.g. site_id) of `fields`, as Model.from_db takes them."""
    return [model._meta.get_field(name).attname for name in fields]


def columns(model, fields, alias=None, using="default"):
    """`fields` as a quoted column list for a SELECT, prefixed with `alias` if given."""
    return _columns(connections[using].vendor, model, tuple(fields), alias, using)


def select(model, fields, using="default"):
    """SELECT `fields` FROM the model's table: the start of a statement for `instances`."""
    return _select(connections[using].vendor, model, tuple(fields), using)


# The texts are the same every time: made once a process (the vendor in the key,
# for quoting).
@functools.cache
def _columns(vendor, model, fields, alias, using):
    quote = connections[using].ops.quote_name
    prefix = f"{quote(alias)}." if alias else ""
    return ", ".join(prefix + quote(model._meta.get_field(name).column) for name in fields)


@functools.cache
def _select(vendor, model, fields, using):
    table = connections[using].ops.quote_name(model._meta.db_table)
    return f"SELECT {columns(model, fields, using=using)} FROM {table}"  # noqa: S608 - names


def instance(model, fields, values, using="default"):
    """The instance of `model` that a row of `fields` (names, in order) makes."""
    connection = connections[using]
    attnames, converters = _converters_of(model, tuple(fields), connection)
    converted = []
    for value, field_converters in zip(values, converters, strict=True):
        for converter, column in field_converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(using, attnames, converted)


def instances(model, fields, sql, params, using="default"):
    """Run `sql` (selecting `fields` of `model`, in order) and make an instance of each row."""
    with connections[using].cursor() as cursor:
        cursor.execute(hot(sql), params)  # reads by key: planned once (prepared.py)
        rows = cursor.fetchall()
    return [instance(model, fields, row, using) for row in rows]
