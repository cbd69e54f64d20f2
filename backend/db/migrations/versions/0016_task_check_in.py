"""Task check-in and check-out: the hours a volunteer served are counted from them.

``checked_in_at`` is when the volunteer said they arrived (``done_at`` stays when they checked
out); ``served_minutes`` the time credited, from which both their points and their hours come.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add tasks.checked_in_at and tasks.served_minutes."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_at', AwareDateTime, nullable=True))
        batch_op.add_column(sa.Column('served_minutes', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop them: hours are counted from the tasks' planned durations again."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('served_minutes')
        batch_op.drop_column('checked_in_at')
