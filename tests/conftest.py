"""Shared fixtures: a fresh database per test on SQLite, and on PostgreSQL when it is here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from consigndesk.adapters.db.tables import metadata
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from tests.services import unavailable

PLATFORM_SECRET = "test-platform-secret"
PG_ADMIN_URL = os.environ.get(
    "CONSIGNDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL, created and migrated once per run."""
    name = f"consigndesk_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    core = build(Settings(database_url=url))
    core.close()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def someone_waits_on_a_lock(core: App) -> bool:
    """On PostgreSQL: is a session of this database blocked on a row or table lock right now?"""
    with core.database.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses it runs twice: on a fresh SQLite file and on a clean PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'consigndesk.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def core(database_url: str) -> Iterator[App]:
    app = build(Settings(database_url=database_url, platform_secret=PLATFORM_SECRET))
    from consigndesk.services.admin import ensure_default_groups

    ensure_default_groups(app.uow())
    yield app
    app.close()
