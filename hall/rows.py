"""Model instances read by written-out SQL, for the few hot paths (a token's check, call-next, complete) where
building the ORM's SQL cost more CPU than PostgreSQL spent running it: 1-3 ms a statement against about
0.1 ms (bench/RESULTS.md, issue 20). The instances are the ORM's own (`Model.from_db`, the database's and
the fields' converters applied), so that the code after the read cannot tell the difference.

Only the statement's text is written out, from the models' columns; every value is a parameter, adapted as
the ORM adapts it (`param`). Works on PostgreSQL and SQLite; `FOR_UPDATE` is empty where the database has
no row locks (SQLite's IMMEDIATE transactions let one writer in at a time).
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache

from django.db import connection
from django.db.models import Model


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


Fields = frozenset[str] | None  # the attnames read of a model (its primary key among them); None: all


@cache
def _fields(model: type[Model], fields: Fields) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if fields is None or f.attname in fields)


@cache
def _columns(model: type[Model], alias: str, fields: Fields) -> str:
    prefix = f"{alias}." if alias else ""  # the alias as the statement's FROM writes it
    return ", ".join(f"{prefix}{quote(f.column)}" for f in _fields(model, fields))


def columns(model: type[Model], alias: str = "", fields: Fields = None) -> str:
    """The columns of `model` (of the table aliased `alias`), in the order `load` reads them: every one, or
    those of `fields` (the others stay deferred on the instance, as with QuerySet.only)."""
    return _columns(model, alias, fields)


def table(model: type[Model]) -> str:
    return quote(model._meta.db_table)


def width(model: type[Model], fields: Fields = None) -> int:
    return len(_fields(model, fields))


@cache
def _converters(model: type[Model], fields: Fields, vendor: str) -> tuple:
    found = []
    for n, field in enumerate(_fields(model, fields)):
        column = field.get_col(model._meta.db_table)
        convert = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if convert:
            found.append((n, column, tuple(convert)))
    return tuple(found)


def load(model: type[Model], row: Sequence, start: int = 0, fields: Fields = None) -> Model | None:
    """The instance of `model` in `row` from position `start` (its columns as `columns` lists them, for the
    same `fields`); None when its primary key is NULL (a LEFT JOIN that found nothing)."""
    read = _fields(model, fields)
    values = list(row[start : start + len(read)])
    if values[_pk_index(model, fields)] is None:
        return None
    for n, column, convert in _converters(model, fields, connection.vendor):
        for converter in convert:
            values[n] = converter(values[n], column, connection)
    names = None if fields is None else [f.attname for f in read]
    instance = model.from_db(connection.alias, names, values)
    instance._rows_loaded = dict(zip((f.attname for f in read), values, strict=True))  # for `changed`
    return instance


def load_all(
    models: Sequence[type[Model]], row: Sequence, fields: Mapping[type[Model], Fields] | None = None
) -> list[Model | None]:
    """The instances of `models` in `row`, one after the other (see `load`); `fields`: those read of some
    of the models (every field of the others)."""
    found, start, fields = [], 0, fields or {}
    for model in models:
        read = fields.get(model)
        found.append(load(model, row, start, read))
        start += width(model, read)
    return found


def changed(instance: Model) -> list[str] | None:
    """The fields of an instance read by `load` whose values changed since, or that were not read and have
    been set since (for save(update_fields=...)); None (every field) for an instance read otherwise."""
    loaded = getattr(instance, "_rows_loaded", None)
    if loaded is None:
        return None
    found = []
    for field in instance._meta.concrete_fields:
        name = field.attname
        if name in loaded:
            if getattr(instance, name) != loaded[name]:
                found.append(field.name)
        elif name in instance.__dict__:  # deferred when read, set since
            found.append(field.name)
    return found


def attach(instance: Model, name: str, related: Model | None) -> None:
    """Keep `related` (None included) as `instance.<name>`, a relation read in the same statement: forward
    (a foreign key, a one-to-one) or reverse (a one-to-one's other side), as select_related keeps it."""
    instance._meta.get_field(name).set_cached_value(instance, related)


@cache
def _pk_index(model: type[Model], fields: Fields = None) -> int:
    return _fields(model, fields).index(model._meta.pk)


def param(value):
    """A value as the ORM passes it to the database (SQLite keeps times as UTC text)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def fetch(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [param(value) for value in params])
        return cursor.fetchall()


def execute(sql: str, params: Sequence) -> int:
    """Run a statement that returns no rows; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [param(value) for value in params])
        return cursor.rowcount


def for_update(*, of: str = "", skip_locked: bool = False) -> str:
    """' FOR UPDATE [OF alias] [SKIP LOCKED]' where the database locks rows, '' on SQLite."""
    if not connection.features.has_select_for_update:
        return ""
    text = " FOR UPDATE"
    if of and connection.features.has_select_for_update_of:
        text += f" OF {quote(of)}"
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        text += " SKIP LOCKED"
    return text
