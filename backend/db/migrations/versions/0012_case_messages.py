"""Case messages: the thread between the office and the resident on each case.

A request for information's question, the resident's replies and anything either side writes
after submission are kept here; notifications are looked up by their application for the thread.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Create case_messages; index notifications by application."""
    op.create_table("case_messages",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("direction", sa.String(length=16), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("author", sa.String(length=64), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("document_ids", Json, nullable=False),
    sa.Column("at", AwareDateTime, nullable=False),
    sa.Column("read_at", AwareDateTime, nullable=True),
    sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                            name=op.f("fk_case_messages_application_id_applications"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_case_messages"))
    )
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.create_index("ix_case_messages_application_read", ["application_id", "direction", "read_at"],
                              unique=False)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_application_number"), ["application_number"],
                              unique=False)


def downgrade() -> None:
    """Drop case_messages and the notifications' index by application."""
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_application_number"))
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_case_messages_application_read")
    op.drop_table("case_messages")
