"""Ids for new rows, taken before the INSERT, so objects can be referenced while still pending."""

from __future__ import annotations

from collections import deque

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

# `counts[i]` new ids from the sequence of `tables[i]`, for all tables at once. One statement text
# whatever the tables and counts (arrays as parameters), so it is built, parsed and prepared once.
# Each table's sequence is looked up once (a catalog search), not once per id: the materialized
# CTE keeps the planner from moving the lookup next to `nextval`.
_FROM_SEQUENCES = text(
    "WITH wanted AS MATERIALIZED ("
    " SELECT name, n, pg_get_serial_sequence(name, 'id')::regclass AS sequence"
    " FROM unnest(CAST(:tables AS text[]), CAST(:counts AS integer[])) AS asked(name, n))"
    " SELECT wanted.name, nextval(wanted.sequence) AS id"
    " FROM wanted, generate_series(1, wanted.n)"
)


class IdAllocator:
    """Per unit of work. PostgreSQL: from each table's own sequence, as many as the caller
    expects to need (`expect`), for all tables in one round trip; unused ones are lost, like those
    of a rolled-back transaction. SQLite: one past the largest id, read once per table; write
    transactions hold the database's write lock from their first statement, so nobody else can
    take it meanwhile.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        self._free: dict[str, deque[int]] = {}
        self._wanted: dict[str, int] = {}
        self._next: dict[str, int] = {}  # SQLite

    def expect(self, table: Table, count: int) -> None:
        """About `count` rows of `table` will be added: take their ids in one round trip."""
        self._wanted[table.name] = max(count, 1)

    def take(self, table: Table) -> int:
        if self._sqlite:
            return self._take_sqlite(table)
        free = self._free.setdefault(table.name, deque())
        if not free:
            self._wanted.setdefault(table.name, 1)
            self._from_sequences()
        return free.popleft()

    def _from_sequences(self) -> None:
        """One round trip for every table something is expected of."""
        wanted, self._wanted = self._wanted, {}
        taken: dict[str, list[int]] = {name: [] for name in wanted}
        with self.session.no_autoflush:  # sequences do not depend on pending rows
            rows = self.session.execute(
                _FROM_SEQUENCES, {"tables": list(wanted), "counts": list(wanted.values())}
            )
            for name, new_id in rows:
                taken[name].append(new_id)
        for name, ids in taken.items():
            self._free.setdefault(name, deque()).extend(sorted(ids))

    def _take_sqlite(self, table: Table) -> int:
        if table.name not in self._next:
            with self.session.no_autoflush:  # pending rows of `table` would have ids from here
                # a bare max(id): SQLite reads it off the end of the index only in this form
                largest = self.session.execute(select(func.max(table.c.id))).scalar_one()
            self._next[table.name] = int(largest or 0) + 1
        taken = self._next[table.name]
        self._next[table.name] = taken + 1
        return taken
