"""Engines for SQLite (WAL, immediate write transactions) and PostgreSQL, and migrations."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PING_AFTER_IDLE_SECONDS = 2.0


def _iso_timestamps(value: Any) -> Any:
    """Timestamps inside JSON columns (event payloads, timeline details) as ISO 8601 text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_bytes(value: Any) -> bytes:
    """JSON columns' text (event payloads, timeline details, triage results: a dozen per new
    ticket) as UTF-8, written by orjson, about nine times faster than `json.dumps` on an event
    payload. Non-ASCII text is kept as is, not escaped; dictionary keys that are not strings become
    text, as `json.dumps` would make them."""
    return orjson.dumps(value, default=_iso_timestamps, option=orjson.OPT_NON_STR_KEYS)


def _json_text(value: Any) -> str:
    return json_bytes(value).decode()


JSON_DUMPS = _json_text
JSON_LOADS = orjson.loads


@dataclass(frozen=True)
class Database:
    """Write sessions take SQLite's write lock up front; read sessions never block writers."""

    url: str
    engine: Engine
    read_engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _sqlite_engine(url: str, begin: str) -> Engine:
    memory = url in {"sqlite://", "sqlite:///:memory:"}
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": 30},
        "json_serializer": JSON_DUMPS,
        "json_deserializer": JSON_LOADS,
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only if it sat unused for `idle_seconds` (ADR 0012).

    A connection returned moments ago is taken as alive: pinging it on every checkout cost a
    round trip per unit of work. One that died in between fails its first statement, and
    SQLAlchemy then invalidates the whole pool, so the next unit of work connects afresh.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"idle connection is gone: {error}") from error


def create_database(
    url: str, *, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS
) -> Database:
    if url.startswith("sqlite"):
        writer = _sqlite_engine(url, "BEGIN IMMEDIATE")
        reader = (
            writer if url in {"sqlite://", "sqlite:///:memory:"} else _sqlite_engine(url, "BEGIN")
        )
    else:
        writer = create_engine(
            url,
            pool_size=20,
            max_overflow=20,
            json_serializer=JSON_DUMPS,
            json_deserializer=JSON_LOADS,
        )
        ping_after_idle(writer, ping_after_idle_seconds)
        # READ COMMITTED gives every statement its own snapshot anyway, so a read-only unit of
        # work loses nothing without BEGIN and ROLLBACK, and saves their two round trips.
        reader = writer.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        url=url,
        engine=writer,
        read_engine=reader,
        write_sessions=sessionmaker(writer, expire_on_commit=False),
        read_sessions=sessionmaker(reader, expire_on_commit=False),
    )


def migrate(database: Database) -> None:
    """Bring the schema to head (safe to repeat)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
