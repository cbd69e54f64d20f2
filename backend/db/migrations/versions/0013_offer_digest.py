"""Offer digest: notifications held until a time, offers that expire.

A notification may wait until ``not_before`` (the offers' digest an hour after the receipt, an
unsolicited message over the day's cap until the next day). An offer is open until
``expires_at``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add notifications.not_before and offers.expires_at."""
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_before', AwareDateTime, nullable=True))
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', AwareDateTime, nullable=True))


def downgrade() -> None:
    """Drop them: held notifications go at once, offers no longer expire."""
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('not_before')
