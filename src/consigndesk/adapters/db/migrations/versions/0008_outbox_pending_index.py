"""outbox: index only the rows still to relay

Revision ID: 0008_outbox_pending
Revises: 0007_unique_external_id
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_outbox_pending"
down_revision: str | None = "0007_unique_external_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("published_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["seq"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "seq"])
