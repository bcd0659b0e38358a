"""a channel's message id is stored once: unique messages.external_id

Revision ID: 0007_unique_external_id
Revises: 0401_email
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_unique_external_id"
down_revision: str | None = "0401_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_messages_external_id", table_name="messages")
    op.create_index("ux_messages_external_id", "messages", ["external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_messages_external_id", table_name="messages")
    op.create_index("ix_messages_external_id", "messages", ["external_id"])
