"""The index of pending feed events holds the pending ones only.

Trigger evaluation takes the events not yet evaluated, then marks them evaluated. Indexed on
(evaluated, household_id), every marked event moved within the index; a partial index over the
pending events only loses its entry, stays as small as the backlog, and serves "which households
have pending events" from the index alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Replace ix_feed_events_pending by a partial index on the pending events' households."""
    op.drop_index("ix_feed_events_pending", table_name="feed_events")
    op.create_index(
        "ix_feed_events_pending",
        "feed_events",
        ["household_id"],
        unique=False,
        sqlite_where=sa.text("evaluated = 0"),
        postgresql_where=sa.text("evaluated = false"),
    )


def downgrade() -> None:
    """Back to the index on (evaluated, household_id)."""
    op.drop_index("ix_feed_events_pending", table_name="feed_events")
    op.create_index("ix_feed_events_pending", "feed_events", ["evaluated", "household_id"], unique=False)
