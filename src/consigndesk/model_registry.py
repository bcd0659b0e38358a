"""Trained triage models in the database: store, activate, and serve the active one everywhere."""

from __future__ import annotations

import base64
import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select, update

from consigndesk.adapters.db import tables
from consigndesk.adapters.db.engine import Database
from consigndesk.domain.events import utcnow
from consigndesk.services.admin import INTENT_GROUPS_KEY
from consigndesk.triage import TriageEngine, TriageModel, load_model, save_model

log = structlog.get_logger(__name__)


def _to_files(model: TriageModel) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        save_model(model, tmp)
        return {p.name: base64.b64encode(p.read_bytes()).decode() for p in Path(tmp).iterdir()}


def _from_files(files: dict[str, str]) -> TriageModel:
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / Path(name).name).write_bytes(base64.b64decode(data))
        return load_model(tmp)


def store_model(database: Database, model: TriageModel, *, activate: bool) -> None:
    with database.write_sessions.begin() as session:
        if activate:
            session.execute(update(tables.triage_models).values(active=False))
        session.execute(
            tables.triage_models.insert().values(
                version=model.version,
                created_at=utcnow(),
                metrics=model.metadata.get("metrics", {}),
                files=_to_files(model),
                active=activate,
                activated_at=utcnow() if activate else None,
            )
        )


def active_version(database: Database) -> str | None:
    with database.read_sessions() as session:
        row = session.execute(
            select(tables.triage_models.c.version).where(tables.triage_models.c.active)
        ).first()
    return str(row[0]) if row else None


def load_active(database: Database) -> TriageModel | None:
    with database.read_sessions() as session:
        row = session.execute(
            select(tables.triage_models.c.files).where(tables.triage_models.c.active)
        ).first()
    return _from_files(row[0]) if row else None


def intent_groups(database: Database) -> dict[str, str]:
    with database.read_sessions() as session:
        row = session.execute(
            select(tables.settings_kv.c.value).where(tables.settings_kv.c.key == INTENT_GROUPS_KEY)
        ).first()
    return dict(json.loads(row[0])) if row else {}


class EngineRefresher:
    """Keeps a process's engine on the active model and intent→group map (checked periodically)."""

    def __init__(self, database: Database, engine: TriageEngine, interval: float = 30.0) -> None:
        self._db = database
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        version = active_version(self._db)
        if version is not None and version != self._engine.model.version:
            model = load_active(self._db)
            if model is not None:
                self._engine.swap(model)
                log.info("triage.model_swapped", version=model.version)
        self._engine.set_intent_groups(intent_groups(self._db))

    def start(self) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(self._interval):
                try:
                    self.refresh()
                except Exception:  # a database hiccup must not stop serving
                    log.exception("triage.refresh_failed")

        self._thread = threading.Thread(target=run, name="triage-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


Progress = Callable[[int, int], None]


def corrections_as_examples(database: Database) -> list[Any]:
    """Agents' corrections, latest per ticket, as labelled examples."""
    from consigndesk.triage import LabeledExample

    latest: dict[int, dict[str, Any]] = {}
    with database.read_sessions() as session:
        for row in session.execute(
            select(tables.training_examples).order_by(tables.training_examples.c.id)
        ).mappings():
            latest[row["ticket_id"]] = dict(row)
    return [
        LabeledExample(text=r["text"], intent=r["intent"], language=r["language"], role=r["role"])
        for r in latest.values()
        if r["text"].strip()
    ]
