"""Volunteers and their skills, service tasks and the pings that offer them, honour certificates,
named funds; the flow a resident is in when it is not the intake.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db import append_only

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Create the volunteer, task, certificate and fund tables; add residents.active_flow."""
    op.create_table('funds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('holder', sa.String(length=16), nullable=False),
    sa.Column('holder_ref', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funds')),
    sa.UniqueConstraint('code', name=op.f('uq_funds_code'))
    )
    op.create_table('fund_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('ref', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_fund_entries_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_entries'))
    )
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_entries_fund_id'), ['fund_id'], unique=False)
    append_only.create("fund_entries")

    op.create_table('volunteers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resident_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('offices', Json, nullable=False),
    sa.Column('availability', Json, nullable=False),
    sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_volunteers_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteers')),
    sa.UniqueConstraint('resident_id', name=op.f('uq_volunteers_resident_id'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('milestone_hours', sa.Integer(), nullable=False),
    sa.Column('issued_at', AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_certificates_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('volunteer_id', 'milestone_hours', name=op.f('uq_certificates_volunteer_id_milestone_hours'))
    )
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_number', sa.String(length=40), nullable=True),
    sa.Column('resident_id', sa.String(length=64), nullable=True),
    sa.Column('office', sa.String(length=64), nullable=False),
    sa.Column('skill', sa.String(length=32), nullable=False),
    sa.Column('given_name', sa.String(length=60), nullable=False),
    sa.Column('address', sa.Text(), server_default='', nullable=False),
    sa.Column('details', sa.Text(), server_default='', nullable=False),
    sa.Column('starts_at', AwareDateTime, nullable=True),
    sa.Column('ends_at', AwareDateTime, nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_round_at', AwareDateTime, nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.Column('assigned_at', AwareDateTime, nullable=True),
    sa.Column('reminded_at', AwareDateTime, nullable=True),
    sa.Column('checkin_sent_at', AwareDateTime, nullable=True),
    sa.Column('done_at', AwareDateTime, nullable=True),
    sa.Column('photo_document_id', sa.String(length=64), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rated_at', AwareDateTime, nullable=True),
    sa.Column('points_txn', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_tasks_resident_id_residents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_tasks_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_application_number'), ['application_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('volunteer_skills',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=32), nullable=False),
    sa.Column('claimed_at', AwareDateTime, nullable=False),
    sa.Column('qualified_by', sa.String(length=64), nullable=True),
    sa.Column('qualified_at', AwareDateTime, nullable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_skills_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', 'skill', name=op.f('pk_volunteer_skills'))
    )
    op.create_table('task_pings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('sent_at', AwareDateTime, nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', AwareDateTime, nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_pings_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_task_pings_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_pings')),
    sa.UniqueConstraint('task_id', 'volunteer_id', name=op.f('uq_task_pings_task_id_volunteer_id'))
    )
    with op.batch_alter_table('task_pings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_pings_volunteer_id'), ['volunteer_id'], unique=False)

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_flow', sa.String(length=32), nullable=True))



def downgrade() -> None:
    """Drop what upgrade created."""
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('active_flow')

    with op.batch_alter_table('task_pings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_pings_volunteer_id'))

    op.drop_table('task_pings')
    op.drop_table('volunteer_skills')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_status'))
        batch_op.drop_index(batch_op.f('ix_tasks_application_number'))

    op.drop_table('tasks')
    op.drop_table('certificates')
    op.drop_table('volunteers')
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_entries_fund_id'))

    append_only.drop("fund_entries")
    op.drop_table('fund_entries')
    op.drop_table('funds')
