"""The monitored population (registry of households and persons, with assessment history),
department feed events, feed keys and nonces for pushed events, and alerts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db import append_only

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Create the monitoring tables."""
    op.create_table('feed_keys',
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('key_cipher', sa.Text(), nullable=False),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_feed_keys'))
    )
    op.create_table('feed_nonces',
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('at', AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint('source', 'nonce', name=op.f('pk_feed_nonces'))
    )
    with op.batch_alter_table('feed_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_nonces_at'), ['at'], unique=False)

    op.create_table('registry_households',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('office', sa.String(length=64), nullable=False),
    sa.Column('household', Json, nullable=False),
    sa.Column('monthly_income', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('layer', sa.String(length=32), nullable=True),
    sa.Column('resilience_level', sa.Integer(), nullable=True),
    sa.Column('types', Json, nullable=False),
    sa.Column('application_number', sa.String(length=40), nullable=True),
    sa.Column('assessed_at', AwareDateTime, nullable=True),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.Column('updated_at', AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_households')),
    sa.UniqueConstraint('code', name=op.f('uq_registry_households_code'))
    )
    with op.batch_alter_table('registry_households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_households_office'), ['office'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('office', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=64), nullable=False),
    sa.Column('reason', Json, nullable=False),
    sa.Column('trace', Json, nullable=False),
    sa.Column('status', sa.String(length=16), server_default='new', nullable=False),
    sa.Column('deadline_at', AwareDateTime, nullable=False),
    sa.Column('escalated_at', AwareDateTime, nullable=True),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_at', AwareDateTime, nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', AwareDateTime, nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.Column('outreach', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['registry_households.id'], name=op.f('fk_alerts_household_id_registry_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_office'), ['office'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)

    op.create_table('registry_assessments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('layer', sa.String(length=32), nullable=True),
    sa.Column('resilience_level', sa.Integer(), nullable=True),
    sa.Column('types', Json, nullable=False),
    sa.Column('cause', sa.String(length=64), nullable=False),
    sa.Column('at', AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['registry_households.id'], name=op.f('fk_registry_assessments_household_id_registry_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_assessments'))
    )
    with op.batch_alter_table('registry_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_assessments_household_id'), ['household_id'], unique=False)
    append_only.create("registry_assessments")

    op.create_table('registry_persons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('id_cipher', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('member', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('earner', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('resident_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['registry_households.id'], name=op.f('fk_registry_persons_household_id_registry_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_registry_persons_resident_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_persons')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_registry_persons_id_hash'))
    )
    with op.batch_alter_table('registry_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_persons_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_persons_resident_id'), ['resident_id'], unique=False)

    op.create_table('feed_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('detail', Json, nullable=False),
    sa.Column('imported_at', AwareDateTime, nullable=False),
    sa.Column('evaluated', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['registry_households.id'], name=op.f('fk_feed_events_household_id_registry_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['registry_persons.id'], name=op.f('fk_feed_events_person_id_registry_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_events')),
    sa.UniqueConstraint('source', 'record_id', name=op.f('uq_feed_events_source_record_id'))
    )
    with op.batch_alter_table('feed_events', schema=None) as batch_op:
        batch_op.create_index('ix_feed_events_household_occurred', ['household_id', 'occurred_on'], unique=False)
        # Only the pending events: marking one evaluated drops its entry, so the index stays as
        # small as the backlog and answers "which households have pending events" by itself.
        batch_op.create_index('ix_feed_events_pending', ['household_id'], unique=False,
                              sqlite_where=sa.text('evaluated = 0'), postgresql_where=sa.text('evaluated = false'))
        batch_op.create_index(batch_op.f('ix_feed_events_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    """Drop what upgrade created."""
    append_only.drop("registry_assessments")
    with op.batch_alter_table('feed_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_events_person_id'))
        batch_op.drop_index('ix_feed_events_pending')
        batch_op.drop_index('ix_feed_events_household_occurred')

    op.drop_table('feed_events')
    with op.batch_alter_table('registry_persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_persons_resident_id'))
        batch_op.drop_index(batch_op.f('ix_registry_persons_household_id'))

    op.drop_table('registry_persons')
    with op.batch_alter_table('registry_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_assessments_household_id'))

    op.drop_table('registry_assessments')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_office'))
        batch_op.drop_index(batch_op.f('ix_alerts_household_id'))

    op.drop_table('alerts')
    with op.batch_alter_table('registry_households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_households_office'))

    op.drop_table('registry_households')
    with op.batch_alter_table('feed_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_nonces_at'))

    op.drop_table('feed_nonces')
    op.drop_table('feed_keys')
