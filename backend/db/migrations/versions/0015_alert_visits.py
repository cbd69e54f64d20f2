"""Alert visits: the day a caseworker means to visit a household an alert names.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add alerts.visit_on."""
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_on', sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop it: scheduled visits are forgotten (the audit log keeps them)."""
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('visit_on')
