"""What the policy engine and routing made of each application.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Add the assessment, routing and deadline columns to applications."""
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("layer", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("resilience_level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("emergency", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("assessment", Json, nullable=True))
        batch_op.add_column(sa.Column("queues", Json, nullable=True))
        batch_op.add_column(sa.Column("station", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("deadline_at", AwareDateTime, nullable=True))
        batch_op.create_index(batch_op.f("ix_applications_layer"), ["layer"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_layer"))
        for column in ("deadline_at", "station", "queues", "assessment", "emergency", "resilience_level", "layer"):
            batch_op.drop_column(column)
