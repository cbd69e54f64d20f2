"""The outbox of replies, and per-identity inbound cursor and live prompt.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Create the outbox; add the inbound cursor and live prompt to channel identities."""
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_inbound_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("active_prompt", sa.Integer(), nullable=True))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", AwareDateTime, nullable=True),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.Column("sent_at", AwareDateTime, nullable=True),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_outbox_resident_id_residents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_channel_status_id", ["channel", "status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_resident_id"), ["resident_id"], unique=False)


def downgrade() -> None:
    """Drop the outbox and the added columns."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_resident_id"))
        batch_op.drop_index("ix_outbox_channel_status_id")
    op.drop_table("outbox")
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.drop_column("active_prompt")
        batch_op.drop_column("last_inbound_id")
