"""Deadline reminders: each reminder of a case's deadline, recorded once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create deadline_reminders."""
    op.create_table('deadline_reminders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('deadline_at', AwareDateTime, nullable=False),
    sa.Column('sent_at', AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_deadline_reminders_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_reminders')),
    sa.UniqueConstraint('application_id', 'kind', 'deadline_at',
                        name=op.f('uq_deadline_reminders_application_id_kind_deadline_at'))
    )


def downgrade() -> None:
    """Drop deadline_reminders."""
    op.drop_table('deadline_reminders')
