"""Throttles: failures counted per keyed hash of what guesses are attributed to.

Console sign-ins are throttled per typed name and client address and per client address, and
link codes per chat identity, per client address and for the whole installation, in this one
table. The lock-out columns of ``users`` (a count per account, which let anyone lock staff out
and told which names exist) are dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create throttles and drop the users' lock-out columns."""
    op.create_table('throttles',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('since', AwareDateTime, nullable=True),
    sa.Column('blocked_until', AwareDateTime, nullable=True),
    sa.Column('blocks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttles'))
    )
    with op.batch_alter_table('throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttles_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    """Drop throttles; the users' lock-out columns come back empty."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', AwareDateTime, nullable=True))

    with op.batch_alter_table('throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttles_updated_at'))
    op.drop_table('throttles')
