"""triage models

Revision ID: 0005
Revises: 0004_knowledge_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import consigndesk.adapters.db.tables

revision: str = "0005"
down_revision: str | None = "0004_knowledge_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_models",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", consigndesk.adapters.db.tables.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "activated_at", consigndesk.adapters.db.tables.UtcDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_triage_models")),
    )


def downgrade() -> None:
    op.drop_table("triage_models")
