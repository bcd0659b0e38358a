"""Engines for SQLite (WAL, immediate write transactions) and PostgreSQL, and migrations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
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


def create_database(url: str) -> Database:
    if url.startswith("sqlite"):
        writer = _sqlite_engine(url, "BEGIN IMMEDIATE")
        reader = (
            writer if url in {"sqlite://", "sqlite:///:memory:"} else _sqlite_engine(url, "BEGIN")
        )
    else:
        writer = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
        reader = writer
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
