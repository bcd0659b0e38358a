"""`insert_rows`: what goes in comes back, whichever way the database is written to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from consigndesk.adapters.db import tables
from consigndesk.adapters.db.bulk import insert_rows
from consigndesk.bootstrap import App

AWKWARD = "tab\there, new\nline, back\\slash, quote ' and \" , 中文 🙂, \\N, end"


def test_rows_come_back_exactly_as_given(core: App) -> None:
    at = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {
            "event_id": f"e-{n}",
            "name": AWKWARD if n == 0 else "ticket.created",
            "payload": {"text": AWKWARD, "nested": [1, None, {"k": "值"}], "n": n},
            "occurred_at": at,
            "attempts": n,
            "last_error": None if n else AWKWARD,
        }
        for n in range(3)
    ]
    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, rows)
        insert_rows(uow.session, tables.outbox, [])  # nothing to write: no statement
        uow.session.commit()
    columns = [tables.outbox.c[name] for name in rows[0]]
    with core.database.read_sessions() as session:
        stored = session.execute(select(*columns).order_by(tables.outbox.c.seq)).mappings().all()
    assert [dict(row) for row in stored] == rows


def test_defaults_are_filled_in_and_rows_follow_the_transaction(core: App) -> None:
    def row(event_id: str) -> dict[str, object]:  # no `attempts`: its column default is 0
        return {"event_id": event_id, "name": "n", "payload": {}, "occurred_at": datetime.now(UTC)}

    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, [row("kept")])
        uow.session.commit()
    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, [row("rolled back")])
        uow.rollback()
    with core.database.read_sessions() as session:
        stored = session.execute(select(tables.outbox.c.event_id, tables.outbox.c.attempts))
        assert [tuple(r) for r in stored] == [("kept", 0)]
