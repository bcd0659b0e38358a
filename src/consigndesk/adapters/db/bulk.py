"""Many rows of one table in one go: one INSERT on PostgreSQL, an executemany elsewhere.

psycopg runs an executemany as one statement per row, and sends and polls for each; a group
commit writes dozens of outbox and timeline rows. On PostgreSQL the rows travel as one JSON
document, the single parameter of `INSERT … SELECT … FROM json_populate_recordset(…)` (ADR 0020):
orjson writes it in C, the statement's text is the same for every group (psycopg prepares it
once), and it costs one round trip. The ORM's new customers, tickets and messages take the same
path (`insert_pending`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import JSON, Boolean, Dialect, Float, Integer, String, Table, inspect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state

from consigndesk.adapters.db.engine import json_bytes
from consigndesk.adapters.db.tables import UtcDateTime


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the same keys) in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), list(rows))  # not the session's: no autoflush
        return
    given = tuple(rows[0])
    defaults = _scalar_defaults(table, given)
    statement, timestamps = _insert_from_json(connection.dialect, table, given + tuple(defaults))
    for name in timestamps:  # as the column type refuses them in an INSERT
        if any(row[name] is not None and row[name].tzinfo is None for row in rows):
            raise ValueError(f"naive datetime given to the UTC column {table.name}.{name}")
    # orjson's UTF-8 as it is: psycopg would encode a str of it again
    document = Json([{**row, **defaults} for row in rows] if defaults else rows, json_bytes)
    connection.exec_driver_sql(statement, (document,))


def insert_pending(session: Session, classes: Iterable[type]) -> None:
    """Write the session's new objects of the mapped `classes` (parents before children) with
    `insert_rows`, and keep them in the session as persistent, as a flush would have. If one has
    not set every column, it and the classes after it are left to the flush, which fills in the
    column defaults and orders parents and children itself."""
    states = sorted((instance_state(obj) for obj in session.new), key=lambda s: s.insert_order or 0)
    for cls in classes:
        mapper: Mapper[Any] = inspect(cls)
        keys, names = _columns(mapper)
        every = frozenset(keys)
        new = [s for s in states if s.class_ is cls]
        if not all(s.dict.keys() >= every for s in new):
            return
        if not new:
            continue
        table = mapper.local_table
        assert isinstance(table, Table)
        rows = [dict(zip(names, map(s.dict.__getitem__, keys), strict=True)) for s in new]
        insert_rows(session, table, rows)
        # What a flush does with the objects it inserted: keyed, committed, out of `new` (and
        # expunged again if the transaction rolls back). Its public equivalent (expunge,
        # make_transient_to_detached, add) cost an eighth of a group commit's CPU.
        session._register_persistent(set(new))


@cache
def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A mapper's column attributes, and their columns' names in the same order."""
    props = mapper.column_attrs
    return tuple(prop.key for prop in props), tuple(prop.columns[0].name for prop in props)


def _scalar_defaults(table: Table, given: tuple[str, ...]) -> dict[str, Any]:
    """The plain-value column defaults an INSERT would fill in (the statement fills in only the
    database's own); columns with computed defaults must be given."""
    return {
        column.name: column.default.arg  # type: ignore[attr-defined]
        for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    }


AS_JSON_WRITES = (String, Integer, Float, Boolean, JSON, UtcDateTime)
"""Column types whose values a JSON document carries faithfully (Text is a String)."""


@cache
def _insert_from_json(
    dialect: Dialect, table: Table, names: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """The INSERT that reads rows from a JSON array of objects, and the names of its UTC
    timestamp columns. The table's row type converts each value as an INSERT's parameter would
    be; a JSON column given None holds a JSON null, as after an INSERT, not NULL. Values go into
    the document as JSON writes them (timestamps as ISO 8601 text), so only column types whose
    values survive that are accepted."""
    quote = dialect.identifier_preparer
    selected = []
    for name in names:
        kind = table.c[name].type
        if isinstance(kind, JSON):
            selected.append(f"coalesce({quote.quote(name)}, 'null'::json)")
            continue
        if not isinstance(kind, AS_JSON_WRITES):
            raise TypeError(f"{table.name}.{name}: JSON cannot carry a {kind!r} faithfully")
        selected.append(quote.quote(name))
    target = quote.format_table(table)
    statement = (
        f"INSERT INTO {target} ({', '.join(quote.quote(n) for n in names)}) "
        f"SELECT {', '.join(selected)} FROM json_populate_recordset(NULL::{target}, %s::json)"
    )
    timestamps = tuple(n for n in names if isinstance(table.c[n].type, UtcDateTime))
    return statement, timestamps
