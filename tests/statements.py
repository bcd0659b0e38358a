"""Counting the SQL statements a piece of code sends (how many reads and writes it costs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def statements(engine: Engine) -> Iterator[Counter[str]]:
    """Counts the statements sent through `engine`, by their first three words, lower case
    (`insert into tickets`, `select tickets.status, tickets.assignee_id,`). A `COPY tickets (…)
    FROM STDIN`, how many rows are inserted at once on PostgreSQL, counts as `insert into tickets`.
    """
    seen: Counter[str] = Counter()

    def note(_conn, _cursor, statement: str, *_args) -> None:
        words = statement.split()
        if words[0].upper() == "COPY" and words[-2:] == ["FROM", "STDIN"]:
            words = ["insert", "into", words[1]]
        seen[" ".join(words[:3]).lower()] += 1

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
