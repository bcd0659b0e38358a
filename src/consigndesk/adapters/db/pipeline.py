"""Writes whose results nobody reads, sent to PostgreSQL without waiting for each one (ADR 0029).

A group commit ends with half a dozen INSERTs and a COMMIT. Sent one by one, each costs a round
trip, and after each the writer thread waits for the GIL again before it can send the next;
under load those waits are a large part of a group's time. In psycopg's pipeline mode they all go
out at once and their results come back together at the end of the block: one round trip.

Only statements whose results are not looked at belong inside: in the pipeline a statement's
row count and rows are not there until the block ends (an ORM flush checks an UPDATE's row count
for its version check, so it stays outside). A failed statement fails the block at its end, with
the exception SQLAlchemy would have raised for it (a duplicate key is still an IntegrityError),
and the statements after it, COMMIT included, are skipped. Elsewhere than PostgreSQL the block
sends each statement as it comes, and `commit` leaves the COMMIT to the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


class Pipeline:
    def __init__(self, driver: psycopg.Connection | None) -> None:
        self._driver = driver

    def commit(self) -> None:
        """Queue the COMMIT behind the block's writes. The session's own commit afterwards then
        finds no transaction open and sends nothing; nothing may be written in between."""
        if self._driver is not None:
            self._driver.execute("COMMIT", prepare=False)


@contextmanager
def pipelined(session: Session) -> Iterator[Pipeline]:
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield Pipeline(None)
        return
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline():
            yield Pipeline(driver)
    except psycopg.Error as error:  # raised when the block's results came back
        raise DBAPIError.instance(None, None, error, psycopg.Error) from error
