"""Inbound arrivals by channel and number: an update looks for gaps before it in the channel's
numbers (any identity's), which reach processes over parallel webhook connections.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the index."""
    op.create_index('ix_inbound_arrivals_channel_inbound_id', 'inbound_arrivals', ['channel', 'inbound_id'])


def downgrade() -> None:
    """Drop it."""
    op.drop_index('ix_inbound_arrivals_channel_inbound_id', table_name='inbound_arrivals')
