"""Counting the SQL statements a piece of code sends (how many reads and writes it costs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session


@contextmanager
def statements(engine: Engine) -> Iterator[Counter[str]]:
    """Counts the statements sent through `engine`, by their first three words, lower case
    (`insert into tickets`, `select tickets.status, tickets.assignee_id,`)."""
    seen: Counter[str] = Counter()

    def note(_conn, _cursor, statement: str, *_args) -> None:
        seen[" ".join(statement.split()[:3]).lower()] += 1

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def index_plan(engine: Engine, session: Session, run: Callable[[], object], marker: str) -> str:
    """PostgreSQL's plan for the first statement containing `marker` that `run` sends, with
    sequential scans priced out of reach: the plan shows which indexes the query can use at all,
    whatever a small test table would make the planner prefer."""
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement: str, parameters: object, *_args) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = next((s, p) for s, p in sent if marker in s)
    cursor = session.connection().connection.cursor()
    cursor.execute("SET enable_seqscan = off")
    try:
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        cursor.execute("RESET enable_seqscan")
