"""The mark of the events trigger evaluation has taken in, for PostgreSQL.

On PostgreSQL an evaluation no longer updates every pending event (a new version of each row
and of its index entries): it moves this mark past the events it took in. Events evaluated
before keep their flag; the first evaluation makes the mark's row (no row: 0).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add feed_evaluation_mark."""
    op.create_table(
        'feed_evaluation_mark',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('through_event_id', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_evaluation_mark')),
    )


def downgrade() -> None:
    """Drop it, marking the events it had taken in as evaluated rows again."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            "UPDATE feed_events SET evaluated = true WHERE NOT evaluated"
            " AND id <= (SELECT through_event_id FROM feed_evaluation_mark WHERE id = 1)"
        )
    op.drop_table('feed_evaluation_mark')
