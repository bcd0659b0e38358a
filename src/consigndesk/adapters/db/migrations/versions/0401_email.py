"""email channel: sent Message-IDs, the quarantine, customers by lower-cased address

Revision ID: 0401_email
Revises: 0801_ai_answers
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import consigndesk.adapters.db.tables

revision: str = "0401_email"
down_revision: str | None = "0801_ai_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = consigndesk.adapters.db.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_message_ids",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("ticket_id", Id, nullable=False),
        sa.Column("ticket_message_id", Id, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_email_message_ids_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_message_id"],
            ["messages.id"],
            name=op.f("fk_email_message_ids_ticket_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_email_message_ids")),
    )
    op.create_index("ix_email_message_ids_ticket_id", "email_message_ids", ["ticket_id"])
    op.create_table(
        "email_quarantine",
        sa.Column("id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=250), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", Id, nullable=True),
        sa.Column("released_at", Time, nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_email_quarantine_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_quarantine")),
    )
    op.create_index("ix_email_quarantine_status_id", "email_quarantine", ["status", "id"])
    op.create_index("ix_customers_email_lower", "customers", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customers_email_lower", table_name="customers")
    op.drop_index("ix_email_quarantine_status_id", table_name="email_quarantine")
    op.drop_table("email_quarantine")
    op.drop_index("ix_email_message_ids_ticket_id", table_name="email_message_ids")
    op.drop_table("email_message_ids")
