"""Money kept: ledger and fund tables refuse DELETE (and TRUNCATE) as well as UPDATE; a fund's
correction is an entry of its own kind.

Point and fund entries refuse UPDATE, DELETE and TRUNCATE; accounts and funds refuse DELETE and
TRUNCATE; a redemption code, once it names its transaction, is neither changed nor erased.

A correction was written as a donation (cancelling a spending) or a spending (cancelling a
donation), so corrections counted as donations. It now has the kind ``correction`` and a signed
amount: what it does to the balance. Existing corrections (reference ``correction:<id>``) are
rewritten so, with the UPDATE guard lifted for that one statement.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

"""

from collections.abc import Sequence

from alembic import op

from backend.db import append_only

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENTRIES = ("point_entries", "fund_entries")
_OWNERS = ("point_accounts", "funds", "redemption_codes")


def upgrade() -> None:
    """Rewrite the corrections, then install every money guard."""
    append_only.unguard("fund_entries", "UPDATE")
    op.execute("UPDATE fund_entries SET amount = CASE WHEN kind = 'spending' THEN -amount ELSE amount END, "
               "kind = 'correction' WHERE ref LIKE 'correction:%'")
    append_only.unguard("point_entries", "UPDATE")
    for table in (*_ENTRIES, *_OWNERS):
        append_only.guard(table)


def downgrade() -> None:
    """Back to UPDATE guards on the entries alone, corrections as donations or spending."""
    for table in (*_ENTRIES, *_OWNERS):
        append_only.unguard(table)
    op.execute("UPDATE fund_entries SET kind = CASE WHEN amount < 0 THEN 'spending' ELSE 'donation' END, "
               "amount = abs(amount) WHERE kind = 'correction'")
    for table in _ENTRIES:
        append_only.guard(table, "UPDATE")
