"""tickets: an index of the waiting tickets in queue order, per group

Revision ID: 0009_waiting_index
Revises: 0008_outbox_pending
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_waiting_index"
down_revision: str | None = "0008_outbox_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("assignee_id IS NULL AND status IN ('new', 'open')")


def upgrade() -> None:
    op.create_index(
        "ix_tickets_waiting",
        "tickets",
        ["group", "priority", "created_at", "id"],
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_waiting", table_name="tickets")
