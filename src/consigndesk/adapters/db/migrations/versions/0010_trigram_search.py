"""PostgreSQL: trigram indexes on ticket subjects and message bodies, for ticket search

Revision ID: 0010_trigram_search
Revises: 0009_waiting_index

Ticket search (`q=`) matches a term anywhere in a subject or a message body. Without an index
every search reads every message body. pg_trgm's GIN indexes serve LIKE and ILIKE for terms of
three or more characters, Chinese included; shorter terms still scan. The extension ships with
PostgreSQL's contrib and is trusted (a database owner may create it); where it is not available
the migration leaves search as it was and says so. SQLite keeps scanning.
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0010_trigram_search"
down_revision: str | None = "0009_waiting_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_messages_body_trgm", "messages", "body"),
    ("ix_tickets_subject_trgm", "tickets", "subject"),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first()
    if available is None:
        logging.getLogger("alembic").warning(
            "pg_trgm is not installed on this server: ticket search will scan message bodies"
        )
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
