"""Tables whose rows are never rewritten or erased: the database itself refuses, on both engines.

The guards are data (``GUARDS``): each names a table, the statement refused, and, for tables
whose rows may still change until they are settled, the condition under which the old row is
settled. The same DDL serves the migrations (``create``/``guard``) and a schema made from the
metadata without Alembic (``listen``), so no database of ours lacks them.

On PostgreSQL, TRUNCATE erases a table without firing row triggers, so money tables also get a
statement trigger refusing it. A throwaway test database empties itself with
``session_replication_role = replica`` on PostgreSQL (only a superuser can set it; it skips
triggers), and on SQLite by dropping the DELETE guards for that one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, MetaData, Table, event

Operation = Literal["UPDATE", "DELETE", "TRUNCATE"]


@dataclass(frozen=True, slots=True)
class Guard:
    table: str
    operation: Operation
    # SQL over OLD: only rows for which it holds are protected (None: every row).
    settled: str | None = None

    @property
    def name(self) -> str:
        # The UPDATE guards keep the name the first migrations gave them.
        if self.operation == "UPDATE":
            return f"{self.table}_append_only"
        return f"{self.table}_no_{self.operation.lower()}"

    @property
    def message(self) -> str:
        return f"{self.table} is append-only: {self.operation} refused"


def _money(table: str) -> tuple[Guard, ...]:
    return Guard(table, "UPDATE"), Guard(table, "DELETE"), Guard(table, "TRUNCATE")


GUARDS: tuple[Guard, ...] = (
    Guard("status_history", "UPDATE"),
    Guard("registry_assessments", "UPDATE"),
    # The ledgers: an entry is corrected by another entry, never rewritten or erased.
    *_money("point_entries"),
    *_money("fund_entries"),
    # An account or a fund gone would leave its entries without an owner (and SQLite checks
    # foreign keys only when asked).
    Guard("point_accounts", "DELETE"),
    Guard("point_accounts", "TRUNCATE"),
    Guard("funds", "DELETE"),
    Guard("funds", "TRUNCATE"),
    # A code is marked used, then given its transaction; after that it is a record of a payment.
    Guard("redemption_codes", "UPDATE", settled="OLD.txn IS NOT NULL"),
    Guard("redemption_codes", "DELETE", settled="OLD.used_at IS NOT NULL"),
    Guard("redemption_codes", "TRUNCATE"),
)


def create_statements(guard: Guard, dialect: str) -> list[str]:
    """The DDL that installs ``guard`` on ``dialect`` (TRUNCATE guards exist only on PostgreSQL)."""
    if dialect == "postgresql":
        if guard.operation == "TRUNCATE":
            timing = "BEFORE TRUNCATE ON {t} FOR EACH STATEMENT"
        else:
            timing = "BEFORE {op} ON {t} FOR EACH ROW" + (f" WHEN ({guard.settled})" if guard.settled else "")
        return [
            f"""CREATE FUNCTION {guard.name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{guard.message}'; END $$""",
            f"CREATE TRIGGER {guard.name} " + timing.format(op=guard.operation, t=guard.table)
            + f" EXECUTE FUNCTION {guard.name}()",
        ]
    if guard.operation == "TRUNCATE":
        return []  # SQLite has no TRUNCATE: an unqualified DELETE fires the DELETE guard
    when = f" WHEN {guard.settled}" if guard.settled else ""
    return [f"CREATE TRIGGER {guard.name} BEFORE {guard.operation} ON {guard.table}{when} "
            f"BEGIN SELECT RAISE(ABORT, '{guard.message}'); END"]


def drop_statements(guard: Guard, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {guard.name} ON {guard.table}", f"DROP FUNCTION IF EXISTS {guard.name}()"]
    return [f"DROP TRIGGER IF EXISTS {guard.name}"]


def guards_of(table: str, *operations: Operation) -> list[Guard]:
    """The guards of ``table`` (for the given operations, or all of them)."""
    return [g for g in GUARDS if g.table == table and (not operations or g.operation in operations)]


def guard(table: str, *operations: Operation) -> None:
    """Install the guards of ``table`` from a migration."""
    from alembic import op

    dialect = op.get_bind().dialect.name
    for found in guards_of(table, *operations):
        for statement in create_statements(found, dialect):
            op.execute(statement)


def unguard(table: str, *operations: Operation) -> None:
    """Remove the guards of ``table`` from a migration."""
    from alembic import op

    dialect = op.get_bind().dialect.name
    for found in guards_of(table, *operations):
        for statement in drop_statements(found, dialect):
            op.execute(statement)


def create(table: str) -> None:
    """A trigger that aborts any UPDATE of a row of ``table`` (the first migrations' guard)."""
    guard(table, "UPDATE")


def drop(table: str) -> None:
    unguard(table, "UPDATE")


def listen(metadata: MetaData) -> None:
    """Install every guard whenever ``metadata`` creates its table (a schema made without Alembic)."""
    for found in GUARDS:
        table = metadata.tables.get(found.table)
        if table is not None:
            event.listen(table, "after_create", _installer(found))


def _installer(found: Guard) -> Callable[..., None]:
    def install(_table: Table, connection: Connection, **_: object) -> None:
        for statement in create_statements(found, connection.dialect.name):
            connection.exec_driver_sql(statement)

    return install
