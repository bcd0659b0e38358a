"""Counting the SQL statements a piece of code sends (how many reads and writes it costs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


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
