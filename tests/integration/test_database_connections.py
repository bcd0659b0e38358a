"""Pooled PostgreSQL connections: checked before use only after sitting idle (ADR 0012)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from consigndesk.adapters.db.engine import Database, create_database
from tests.conftest import PG_ADMIN_URL


def backend_of(database: Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(postgres_url: str) -> None:
    database = create_database(postgres_url, ping_after_idle_seconds=0)
    try:
        dead = backend_of(database)
        terminate(dead)
        assert backend_of(database) != dead  # no error reached the caller
    finally:
        database.dispose()


def test_a_connection_back_in_use_at_once_is_not_pinged_and_one_failure_renews_the_pool(
    postgres_url: str,
) -> None:
    database = create_database(postgres_url, ping_after_idle_seconds=3600)
    try:
        dead = backend_of(database)
        terminate(dead)
        with pytest.raises(OperationalError):
            backend_of(database)  # taken as alive: its first statement finds it gone
        assert backend_of(database) != dead
    finally:
        database.dispose()
