"""The command line as an operator runs it: real processes, real database files."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from consigndesk.asgi import YOUNG_GENERATION_THRESHOLD

CLI = [sys.executable, "-m", "consigndesk"]


def run(args: list[str], db: Path, **kw) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONSIGNDESK_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_migrate_is_safe_to_repeat(db: Path) -> None:
    for _ in range(2):
        result = run(["migrate"], db)
        assert result.returncode == 0, result.stderr
        assert "database at head" in result.stdout
    tables = {r[0] for r in sqlite3.connect(db).execute("select name from sqlite_master")}
    assert {"tickets", "outbox", "timeline", "orders", "alembic_version"} <= tables


def test_api_key_is_printed_once_and_stored_hashed(db: Path) -> None:
    result = run(["api-key", "create", "--name", "shop", "--scope", "integration"], db)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("cdk_")
    secret = key.split("_", 2)[2]
    rows = sqlite3.connect(db).execute("select prefix, secret_hash, scope from api_keys").fetchall()
    assert len(rows) == 1 and rows[0][2] == "integration"
    assert secret not in rows[0][1]


def test_errors_are_one_readable_line_and_non_zero(db: Path) -> None:
    bad_scope = run(["api-key", "create", "--name", "x", "--scope", "root"], db)
    assert bad_scope.returncode == 1
    assert bad_scope.stderr.strip().splitlines() == [
        "error: scope must be one of platform, integration"
    ]
    env = {**os.environ, "CONSIGNDESK_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    broken = subprocess.run([*CLI, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1
    assert len(broken.stderr.strip().splitlines()) == 1
    assert broken.stderr.startswith("error: cannot open the database")


def test_agent_create_then_duplicate_is_refused(db: Path) -> None:
    args = [
        "agent",
        "create",
        "--email",
        "boss@desk.test",
        "--name",
        "Boss",
        "--role",
        "admin",
        "--password",
        "long-password-1",
    ]
    assert run(args, db).returncode == 0
    again = run(args, db)
    assert again.returncode == 1
    assert again.stderr.strip() == "error: an agent with email boss@desk.test exists"


def test_serving_processes_keep_start_up_objects_out_of_full_collections(db: Path) -> None:
    """The word dictionaries and models are loaded before serving and frozen, so that the cyclic
    collector's full passes under load do not walk them (they paused everything for ~100 ms),
    and the collector runs less often (ADR 0027)."""
    assert run(["migrate"], db).returncode == 0
    probe = (
        "import gc\n"
        "from consigndesk.asgi import create\n"
        "from consigndesk.knowledge import analysis\n"
        "from consigndesk.triage import segment\n"
        "create()\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()), len(analysis._tokenizer.FREQ),\n"
        "      int(segment._tokenizer is not None and segment._tokenizer.has_word('寄售费')),\n"
        "      *gc.get_threshold())\n"
    )
    env = {**os.environ, "CONSIGNDESK_DATABASE_URL": f"sqlite:///{db}"}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    frozen, in_view, dictionary_words, triage_words, *thresholds = map(int, result.stdout.split())
    assert dictionary_words > 100_000  # loaded before serving, not on the first message
    assert triage_words == 1  # with our own terms
    assert frozen > 100_000 and in_view < frozen / 100
    # the young generation is collected a thirtieth as often; the older ones keep their ratios
    assert thresholds == [YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:]]
    assert gc.get_threshold()[0] < YOUNG_GENERATION_THRESHOLD  # this process is not a server
