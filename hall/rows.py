"""Model instances read by written-out SQL, for the few hot paths (a token's check, call-next, complete) where
building the ORM's SQL cost more CPU than PostgreSQL spent running it: 1-3 ms a statement against about
0.1 ms (bench/RESULTS.md, issue 20). The instances are the ORM's own (what `Model.from_db` builds, the
database's and the fields' converters applied, built without running `Model.__init__`: `_built`), so that
the code after the read cannot tell the difference. A change and its record can be written by one statement
(`update(..., then_insert=...)`, `Inserting`).

Only the statement's text is written out, from the models' columns; every value is a parameter, adapted as
the ORM adapts it (`param`). Works on PostgreSQL and SQLite; `FOR_UPDATE` is empty where the database has
no row locks (SQLite's IMMEDIATE transactions let one writer in at a time).
"""

import datetime as dt
import inspect
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from modeltranslation.fields import TranslationFieldDescriptor


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


def load(model: type[Model], row: Sequence, start: int = 0, fields: Fields = None, db=None) -> Model | None:
    """The instance of `model` in `row` from position `start` (its columns as `columns` lists them, for the
    same `fields`); None when its primary key is NULL (a LEFT JOIN that found nothing). `db`: the default
    database's wrapper, when the caller has it."""
    read = _fields(model, fields)
    values = list(row[start : start + len(read)])
    if values[_pk_index(model, fields)] is None:
        return None
    db = db or _db()
    for n, column, convert in _converters(model, fields, db.vendor):
        for converter in convert:
            values[n] = converter(values[n], column, db)
    if _buildable(model) and not signals.pre_init.has_listeners(model):
        instance = _built(model, fields, values, db.alias)
    else:
        names = None if fields is None else [f.attname for f in read]
        instance = model.from_db(db.alias, names, values)
    instance._rows_loaded = dict(zip(_names(model, fields), values, strict=True))  # for `changed`
    return instance


# The descriptors of model fields whose assignment in Model.__init__ only stores the value in the instance's
# __dict__ (a deferred attribute has no __set__; a foreign key's id clears a cached relation that a new
# instance does not have; modeltranslation's, during __init__, stores the value and returns).
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute, TranslationFieldDescriptor)


@cache
def _buildable(model: type[Model]) -> bool:
    """Whether `_built` builds the instances of `model` as `from_db` does: the class's own `__init__` and
    `from_db` (or modeltranslation's `__init__`, which only renames keyword arguments)."""
    if model.from_db.__func__ is not Model.from_db.__func__:
        return False
    return model.__init__ is Model.__init__ or _translated(model)


@cache
def _set_through(model: type[Model]) -> frozenset[str]:
    """The attnames of the fields whose descriptor does more on assignment than _PLAIN_DESCRIPTORS (e.g. a
    phone number's converts the value): `_built` assigns them as __init__ does."""
    found = set()
    for field in model._meta.concrete_fields:
        descriptor = inspect.getattr_static(model, field.attname, None)
        if type(descriptor) not in _PLAIN_DESCRIPTORS or (
            isinstance(descriptor, TranslationFieldDescriptor) and field.is_relation
        ):
            found.add(field.attname)
    return frozenset(found)


def _built(model: type[Model], fields: Fields, values: list, alias: str) -> Model:
    """What `model.from_db(alias, ...)` returns for these values of `fields` (the others deferred),
    in a third of the time: the attributes stored in the instance's __dict__ directly instead of through
    each field's descriptor, but for the few descriptors that do more (`_set_through`). Model.__init__'s
    post_init is sent as it sends it (modeltranslation's receiver deletes the flag that its __init__ sets,
    so the flag is set first); `load` goes through `from_db` for a model with pre_init receivers (they
    would see the arguments of __init__)."""
    instance = model.__new__(model)
    state = ModelState()
    state.adding, state.db = False, alias
    attributes = instance.__dict__
    attributes["_state"] = state
    if _translated(model):
        attributes["_mt_init"] = True
    names = _names(model, fields)
    attributes.update(zip(names, values, strict=True))
    special = _set_through(model)
    if special:
        for name, value in zip(names, values, strict=True):
            if name in special:
                setattr(instance, name, value)
    signals.post_init.send(sender=model, instance=instance)
    return instance


@cache
def _names(model: type[Model], fields: Fields) -> tuple[str, ...]:
    return tuple(f.attname for f in _fields(model, fields))


@cache
def _translated(model: type[Model]) -> bool:
    return getattr(model.__init__, "__qualname__", "") == "patch_constructor.<locals>.new_init"


def load_all(
    models: Sequence[type[Model]], row: Sequence, fields: Mapping[type[Model], Fields] | None = None
) -> list[Model | None]:
    """The instances of `models` in `row`, one after the other (see `load`); `fields`: those read of some
    of the models (every field of the others)."""
    found, start, fields, db = [], 0, fields or {}, _db()
    for model in models:
        read = fields.get(model)
        found.append(load(model, row, start, read, db))
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


def param(value, db=None):
    """A value as the ORM passes it to the database (SQLite keeps times as UTC text)."""
    if isinstance(value, dt.datetime):
        return (db or _db()).ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return (db or _db()).ops.adapt_datefield_value(value)
    return value


def _db():
    """The default database's wrapper itself: `django.db.connection` is a proxy that looks it up again on
    every attribute read (a few microseconds each, dozens of times a request on these paths)."""
    return connections[DEFAULT_DB_ALIAS]


def cursor(db=None):
    """A cursor for the written-out hot statements: on PostgreSQL one whose statements are prepared on the
    server the first time a connection runs them (psycopg's server-side binding, `prepare=True`), so that
    PostgreSQL parses and plans each of them once per pooled connection instead of on every request; the
    usual cursor elsewhere. Wrapped as Django wraps its own cursors (execute wrappers, logged queries).

    The text of a prepared statement must not change with the values: every value is a parameter, and
    constants that a partial index's predicate names (a ticket's state) are written into the text, so that
    a generic plan can still use that index. `db`: the default database's wrapper, when the caller has
    it."""
    db = db or _db()
    if db.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return db.cursor()
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    if raw.prepare_threshold is None:  # Django's default; only `prepare=True` prepares with this threshold
        raw.prepare_threshold = NEVER_BY_COUNT
    with db.wrap_database_errors:
        if raw not in _GENERIC:
            _plan_once(raw)
        return db._prepare_cursor(_prepared_cursor()(raw))


NEVER_BY_COUNT = 2**31  # psycopg prepares a statement run this often on its own: never, in practice

# Connections (psycopg's, which the pool keeps) told to plan the prepared statements once (`_plan_once`).
_GENERIC: weakref.WeakSet = weakref.WeakSet()


def _plan_once(raw) -> None:
    """Have PostgreSQL plan each prepared statement once for all its values (a generic plan) on this
    connection, instead of again on every run. Left to itself it keeps re-planning a statement whose plan
    for the values at hand it estimates cheaper than the generic one: call-next's read of the queue's heads
    (four ordered parts, each weighing the ticket table's dozen indexes) spent 0.7 ms of PostgreSQL's CPU
    planning and 0.06 ms running (issue 20, bench/RESULTS.md); its generic plan uses the same index. The
    written-out statements are all of this kind (a row by its key, or the first rows of an index with the
    constants of its predicate in the text, as `cursor` requires), so one plan fits every value; the ORM's
    own statements are bound on the client and planned as before.

    A session setting, sent once per pooled connection, and only outside a transaction (autocommit, idle):
    inside one, a rollback would take it back unseen; the next statement outside one sets it then."""
    from psycopg.pq import TransactionStatus

    if not raw.autocommit or raw.info.transaction_status != TransactionStatus.IDLE:
        return
    raw.execute("SET plan_cache_mode = force_generic_plan")
    _GENERIC.add(raw)


@cache
def _prepared_cursor():
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg import ClientCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            result = super().execute(query, params, prepare=True, binary=binary)
            if _db().queries_logged:  # tests, DEBUG: log the statement as Django logs its own
                self._query = _Logged(ClientCursor(self.connection).mogrify(query, params).encode())
            return result

    return PreparedCursor


@dataclass
class _Logged:
    query: bytes


def fetch(sql: str, params: Sequence) -> list[tuple]:
    db = _db()
    with cursor(db) as found:
        found.execute(sql, [param(value, db) for value in params])
        return found.fetchall()


def execute(sql: str, params: Sequence) -> int:
    """Run a statement that returns no rows; the number of rows it changed."""
    db = _db()
    with cursor(db) as done:
        done.execute(sql, [param(value, db) for value in params])
        return done.rowcount


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


class Inserting:
    """A new instance that a statement of the caller's writes (an INSERT ... SELECT within it, PostgreSQL
    only): `values`, as `save()` would write them (defaults, `pre_save`, the fields' adaptation) in the order
    of `insert_fields`, with pre_save sent as `save()` sends it; `done(key)` once the row is written: the
    instance gets its key, and post_save is sent."""

    def __init__(self, instance: Model):
        self.instance, db = instance, _db()
        model = type(instance)
        signals.pre_save.send(model, instance=instance, raw=False, using=db.alias, update_fields=None)
        self.values = [f.get_db_prep_save(f.pre_save(instance, True), db) for f in _insert_fields(model)]

    def done(self, key) -> None:
        instance, alias = self.instance, _db().alias
        instance.pk = key
        instance._state.adding, instance._state.db = False, alias
        signals.post_save.send(
            type(instance), instance=instance, created=True, update_fields=None, raw=False, using=alias
        )


def created_in_bulk(model: type[Model], instances: Sequence[Model]) -> None:
    """Send post_save for rows written with bulk_create, as `save()` would: whoever copies events (webhooks'
    outbox, docs/decisions.md) must not miss a change because it was made in bulk."""
    for instance in instances:
        signals.post_save.send(
            model, instance=instance, created=True, update_fields=None, raw=False, using=instance._state.db
        )


def insert_fields(model: type[Model]) -> tuple:
    """The fields an INSERT of `model` writes, in the order of `Inserting.values`."""
    return _insert_fields(model)


@cache
def _insert_fields(model: type[Model]) -> tuple:
    """The fields an INSERT of `model` writes, as the ORM's: every concrete one but an automatic key."""
    return tuple(f for f in model._meta.local_concrete_fields if not f.generated and f is not _auto_pk(model))


def _auto_pk(model: type[Model]):
    pk = model._meta.pk
    return pk if getattr(pk, "db_returning", False) else None


@cache
def _together_sql(models: tuple[type[Model], ...], links: tuple[str, ...]) -> str:
    """INSERT the first model's row and, in the same statement, each other model's with its `link` column
    taking the first row's new key: data-modifying WITH queries, the children's VALUES reading the
    parent's key with a sub-select (VALUES give each parameter its column's type)."""
    parent, children = models[0], models[1:]

    def insert(model, link: str | None) -> str:
        fields = _insert_fields(model)
        names = ", ".join(quote(f.column) for f in fields)
        values = ", ".join("(SELECT id FROM p)" if f.attname == link else "%s" for f in fields)
        returning = quote(model._meta.pk.column)
        # Names of tables and columns and placeholders only: every value is a parameter.
        return f"INSERT INTO {table(model)} ({names}) VALUES ({values}) RETURNING {returning} AS id"  # noqa: S608

    if not children:
        return insert(parent, None)
    parts = [f"p AS ({insert(parent, None)})"]
    parts += [
        f"c{n} AS ({insert(child, link)})"
        for n, (child, link) in enumerate(zip(children, links, strict=True))
    ]
    selected = ", ".join(["p.id", *(f"c{n}.id" for n in range(len(children)))])
    sources = ", ".join(["p", *(f"c{n}" for n in range(len(children)))])
    return f"WITH {', '.join(parts)} SELECT {selected} FROM {sources}"  # noqa: S608


def insert_together(parent: Model, children: Sequence[tuple[Model, str]]) -> None:
    """Write `parent` and its `children` (each with the attname of its column that takes the parent's key)
    in one statement, one round trip, on PostgreSQL: what `save()` of each would write (defaults,
    `pre_save`, the fields' adaptation), without the ORM building three statements. The instances get
    their keys, and the model signals are sent as `save()` sends them. Elsewhere: `save()` one by one."""
    instances = [parent, *(child for child, _link in children)]
    db = _db()
    if db.vendor != "postgresql":
        parent.save(force_insert=True)
        for child, link in children:
            setattr(child, link, parent.pk)
            child.save(force_insert=True)
        return
    for instance in instances:
        signals.pre_save.send(
            type(instance), instance=instance, raw=False, using=db.alias, update_fields=None
        )
    links = tuple(link for _child, link in children)
    params = []
    for instance, link in zip(instances, (None, *links), strict=True):
        params += [
            f.get_db_prep_save(f.pre_save(instance, True), db)
            for f in _insert_fields(type(instance))
            if f.attname != link
        ]
    found = fetch(_together_sql(tuple(type(i) for i in instances), links), params)[0]
    parent.pk = found[0]
    for (child, link), key in zip(children, found[1:], strict=True):
        setattr(child, link, parent.pk)
        child.pk = key
    for instance in instances:
        instance._state.adding, instance._state.db = False, db.alias
        signals.post_save.send(
            type(instance),
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=db.alias,
        )


@cache
def _update_sql(
    model: type[Model], names: tuple[str, ...], later: type[Model] | None = None
) -> tuple[str, tuple]:
    """The UPDATE of `names` of a row by its key; with `later`, a model whose row is then INSERTed by the
    same statement if the UPDATE changed the row (INSERT ... SELECT from the UPDATE's RETURNING: none
    when it changed none), its key returned."""
    fields = tuple(model._meta.get_field(name) for name in names)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk = quote(model._meta.pk.column)
    sql = f"UPDATE {table(model)} SET {assignments} WHERE {pk} = %s"  # noqa: S608 - names only
    if later is None:
        return sql, fields
    inserted = _insert_fields(later)
    columns = ", ".join(quote(f.column) for f in inserted)
    values = ", ".join("%s" for _f in inserted)
    returning = quote(later._meta.pk.column)
    # Names of tables and columns and placeholders only: every value is a parameter.
    sql = (
        f"WITH u AS ({sql} RETURNING {pk}) "  # noqa: S608
        f"INSERT INTO {table(later)} ({columns}) SELECT {values} FROM u RETURNING {returning}"
    )
    return sql, fields


def update(instance: Model, names: Sequence[str] | None, *, then_insert: Model | None = None) -> None:
    """`instance.save(update_fields=names)` as one prepared statement (every field when `names` is None, an
    instance not read by `load`): the same columns and values, signals and error when no row changed.
    `then_insert`: a new instance (a record of the change) written in the same statement, once the row has
    changed (as `insert_together` writes it, signals too): one round trip less."""
    from django.db import DatabaseError

    db = _db()
    if names is None or db.vendor != "postgresql" or not names:
        instance.save(update_fields=names)
        if then_insert is not None:
            insert_together(then_insert, [])
        return
    names = tuple(sorted(names))
    model = type(instance)
    later = type(then_insert) if then_insert is not None else None
    sql, fields = _update_sql(model, names, later)
    frozen = frozenset(names)
    signals.pre_save.send(model, instance=instance, raw=False, using=db.alias, update_fields=frozen)
    values = [f.get_db_prep_save(f.pre_save(instance, False), db) for f in fields]
    if then_insert is None:
        if not execute(sql, [*values, instance.pk]):
            raise DatabaseError("Save with update_fields did not affect any rows.")
    else:
        written = Inserting(then_insert)
        found = fetch(sql, [*values, instance.pk, *written.values])
        if not found:  # the row did not change: nothing was inserted either
            raise DatabaseError("Save with update_fields did not affect any rows.")
    instance._state.adding, instance._state.db = False, db.alias
    signals.post_save.send(
        model, instance=instance, created=False, update_fields=frozen, raw=False, using=db.alias
    )
    if then_insert is not None:
        written.done(found[0][0])
