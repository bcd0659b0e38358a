"""chat sessions and transcript requests

Revision ID: 0601_chat
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import consigndesk.adapters.db.tables

revision: str = "0601_chat"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = consigndesk.adapters.db.tables.UtcDateTime(timezone=True)
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_external_id", sa.String(length=255), nullable=False),
        sa.Column("ticket_id", Id, nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("ended_at", Time, nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.Column("customer_read_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_read_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_chat_sessions_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    op.create_index(
        "ix_chat_sessions_customer_external_id", "chat_sessions", ["customer_external_id"]
    )
    op.create_index("ix_chat_sessions_ticket_id", "chat_sessions", ["ticket_id"])
    op.create_table(
        "chat_transcripts",
        sa.Column("id", Id, nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", Id, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("requested_at", Time, nullable=False),
        sa.Column("sent_at", Time, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_transcripts_session_id_chat_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_chat_transcripts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_transcripts")),
    )
    op.create_index("ix_chat_transcripts_session_id", "chat_transcripts", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_transcripts_session_id", table_name="chat_transcripts")
    op.drop_table("chat_transcripts")
    op.drop_index("ix_chat_sessions_ticket_id", table_name="chat_sessions")
    op.drop_index("ix_chat_sessions_customer_external_id", table_name="chat_sessions")
    op.drop_table("chat_sessions")
