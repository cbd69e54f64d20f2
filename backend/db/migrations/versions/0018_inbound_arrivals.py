"""Inbound arrivals: numbered channel messages in flight, so that several processes keep each
resident's turns in the order the messages arrived.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add inbound_arrivals."""
    op.create_table(
        'inbound_arrivals',
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=False),
        sa.Column('inbound_id', sa.BigInteger(), nullable=False),
        sa.Column('arrived_at', AwareDateTime, nullable=False),
        sa.Column('done', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'external_id', 'inbound_id', name=op.f('pk_inbound_arrivals')),
    )


def downgrade() -> None:
    """Drop it: turns are ordered within each process only."""
    op.drop_table('inbound_arrivals')
