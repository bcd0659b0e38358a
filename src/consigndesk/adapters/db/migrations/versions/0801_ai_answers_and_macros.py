"""AI answers (decisions, facts, outcomes) and macros

Revision ID: 0801_ai_answers
Revises: 0601_chat
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import consigndesk.adapters.db.tables

revision: str = "0801_ai_answers"
down_revision: str | None = "0601_chat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = consigndesk.adapters.db.tables.UtcDateTime(timezone=True)
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ai_answers",
        sa.Column("id", Id, nullable=False),
        sa.Column("ticket_id", Id, nullable=False),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("situation", sa.String(length=40), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("article", sa.JSON(), nullable=True),
        sa.Column("phrased_by", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ai_answers_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_ai_answers_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_answers")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ai_answers_ticket_id")),
    )
    op.create_index("ix_ai_answers_created_at", "ai_answers", ["created_at"])
    op.create_table(
        "macros",
        sa.Column("id", Id, nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macros")),
    )


def downgrade() -> None:
    op.drop_table("macros")
    op.drop_index("ix_ai_answers_created_at", table_name="ai_answers")
    op.drop_table("ai_answers")
