"""WeChat: the Official Account's access token, shared by every process.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AwareDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add wechat_tokens."""
    op.create_table(
        'wechat_tokens',
        sa.Column('app_id', sa.String(length=64), nullable=False),
        sa.Column('token', sa.String(length=512), nullable=False),
        sa.Column('expires_at', AwareDateTime, nullable=False),
        sa.Column('refreshed_at', AwareDateTime, nullable=False),
        sa.PrimaryKeyConstraint('app_id', name=op.f('pk_wechat_tokens')),
    )


def downgrade() -> None:
    """Drop it: each process fetches a token again."""
    op.drop_table('wechat_tokens')
