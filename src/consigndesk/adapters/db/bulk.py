"""Many rows of one table in one go: COPY on PostgreSQL, an executemany elsewhere.

psycopg runs an executemany as one statement per row, and sends and polls for each; a group
commit writes dozens of outbox and timeline rows, and on PostgreSQL COPY streams them in one
command at half the client CPU and less server work (ADR 0017). The ORM's new customers,
tickets and messages take the same path (`insert_pending`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Table, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.types import TypeEngine

from consigndesk.adapters.db.engine import JSON_DUMPS
from consigndesk.adapters.db.tables import UtcDateTime

Processor = Callable[[Any], Any] | None


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
    names = given + tuple(defaults)
    command, processors = _copy_command(connection.dialect, table, names)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        _announce(connection, cursor, command)
        try:
            with cursor.copy(command) as copy:
                for row in rows:
                    values = [*(row[name] for name in given), *defaults.values()]
                    copy.write_row(
                        [v if p is None else p(v) for v, p in zip(values, processors, strict=True)]
                    )
        except connection.dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy raises it for an INSERT: a duplicate key is an IntegrityError.
            raise DBAPIError.instance(
                command,
                None,
                exc,
                connection.dialect.loaded_dbapi.Error,
                dialect=connection.dialect,
            ) from exc


def _announce(connection: Connection, cursor: Any, command: str) -> None:
    """Statement listeners (logging, counting) see the COPY like any statement SQLAlchemy sends."""
    connection.dispatch.before_cursor_execute(connection, cursor, command, None, None, True)


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
        for state in new:
            obj = state.obj()
            session.expunge(obj)
            make_transient_to_detached(obj)
            session.add(obj)


@cache
def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A mapper's column attributes, and their columns' names in the same order."""
    props = mapper.column_attrs
    return tuple(prop.key for prop in props), tuple(prop.columns[0].name for prop in props)


def _scalar_defaults(table: Table, given: tuple[str, ...]) -> dict[str, Any]:
    """The plain-value column defaults an INSERT would fill in (COPY fills in only the
    database's own); columns with computed defaults must be given."""
    return {
        column.name: column.default.arg  # type: ignore[attr-defined]
        for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    }


@cache
def _copy_command(
    dialect: Dialect, table: Table, names: tuple[str, ...]
) -> tuple[str, tuple[Processor, ...]]:
    """The COPY statement, and each column's conversion to what COPY sends."""
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    command = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    return command, tuple(_as_copy_text(table.c[name].type, dialect) for name in names)


def _as_copy_text(kind: TypeEngine[Any], dialect: Dialect) -> Processor:
    """JSON and UTC timestamps become their text here, as an INSERT would store them: a dozen
    JSON values and two dozen timestamps go into a new ticket's rows, and psycopg's own
    conversion of a timestamp costs three times as much as `isoformat` (a JSON value has to be
    wrapped for it first). Other columns get the dialect's usual bind conversion."""
    if isinstance(kind, JSON):
        return JSON_DUMPS  # None too: an INSERT stores a JSON null, not NULL
    if isinstance(kind, UtcDateTime):
        return lambda value: None if value is None else kind.utc(value).isoformat()
    return kind.dialect_impl(dialect).bind_processor(dialect)
