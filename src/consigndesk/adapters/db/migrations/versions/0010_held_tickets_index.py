"""tickets: a partial index of the tickets agents hold (routing's load count)

Revision ID: 0010_held_index
Revises: 0009_waiting_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_held_index"
down_revision: str | None = "0009_waiting_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD = sa.text("assignee_id IS NOT NULL AND status IN ('new', 'open', 'pending')")


def upgrade() -> None:
    op.create_index(
        "ix_tickets_held", "tickets", ["assignee_id"], postgresql_where=HELD, sqlite_where=HELD
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_held", table_name="tickets")
