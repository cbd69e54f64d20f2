"""Staff users, case notes, the audit log, idempotency keys, resident notifications; case assignment;
leases on outbox items.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db import append_only

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

AwareDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Create the staff and case tables; add assignment, proposer and decision to applications."""
    op.create_table("audit_log",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("at", AwareDateTime, nullable=False),
    sa.Column("actor", sa.String(length=64), nullable=False),
    sa.Column("action", sa.String(length=32), nullable=False),
    sa.Column("target", sa.String(length=64), nullable=False),
    sa.Column("details", Json, nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log"))
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_target_at", ["target", "at"], unique=False)

    op.create_table("idempotency_keys",
    sa.Column("owner", sa.String(length=64), nullable=False),
    sa.Column("key", sa.String(length=128), nullable=False),
    sa.Column("request_hash", sa.String(length=64), nullable=False),
    sa.Column("status", sa.Integer(), nullable=False),
    sa.Column("response", Json, nullable=False),
    sa.Column("created_at", AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_idempotency_keys"))
    )
    op.create_table("users",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("username", sa.String(length=64), nullable=False),
    sa.Column("display_name", sa.String(length=128), nullable=False),
    sa.Column("role", sa.String(length=32), nullable=False),
    sa.Column("office", sa.String(length=64), nullable=True),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("telegram_id", sa.String(length=64), nullable=True),
    sa.Column("on_duty", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column("created_at", AwareDateTime, nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_users_token_hash")),
    sa.UniqueConstraint("username", name=op.f("uq_users_username"))
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_office"), ["office"], unique=False)

    op.create_table("case_notes",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("author", sa.String(length=64), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("at", AwareDateTime, nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["applications.id"], name=op.f("fk_case_notes_application_id_applications"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes"))
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notes_application_id"), ["application_id"], unique=False)

    op.create_table("notifications",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("resident_id", sa.String(length=64), nullable=False),
    sa.Column("application_number", sa.String(length=40), nullable=True),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
    sa.Column("created_at", AwareDateTime, nullable=False),
    sa.Column("dispatched_at", AwareDateTime, nullable=True),
    sa.Column("outbox_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_notifications_resident_id_residents"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications"))
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index("ix_notifications_status_id", ["status", "id"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proposed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision", Json, nullable=True))
        batch_op.create_index(batch_op.f("ix_applications_assigned_to"), ["assigned_to"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_applications_assigned_to_users"), "users", ["assigned_to"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_applications_proposed_by_users"), "users", ["proposed_by"], ["id"])

    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action", sa.String(length=32), nullable=True))
    append_only.create("status_history")
    _create_points()
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=False),
        sa.Column("application_number", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="offered", nullable=False),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.Column("answered_at", AwareDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_offers_resident_id_residents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("resident_id", "kind", "ref", name=op.f("uq_offers_resident_id_kind_ref")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_ref"), ["ref"], unique=False)
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("talking_to", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("offers_off", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", AwareDateTime, nullable=True))
        batch_op.add_column(sa.Column("closed_at", AwareDateTime, nullable=True))
        batch_op.add_column(sa.Column("close_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("supervisor_pinged_at", AwareDateTime, nullable=True))
    for table in ("escalation_messages", "escalation_pings"):
        columns: list[sa.schema.SchemaItem] = (
            [
                sa.Column("sender", sa.String(length=16), nullable=False),
                sa.Column("author", sa.String(length=64), nullable=False),
                sa.Column("body", sa.Text(), nullable=False),
                sa.Column("at", AwareDateTime, nullable=False),
            ]
            if table == "escalation_messages"
            else [
                sa.Column("username", sa.String(length=64), nullable=False),
                sa.Column("outbox_id", sa.Integer(), nullable=False),
            ]
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("escalation_id", sa.Integer(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["escalation_id"], ["escalations.id"], name=op.f(f"fk_{table}_escalation_id_escalations"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_escalation_id"), ["escalation_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("resident_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("leased_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("leased_until", AwareDateTime, nullable=True))



def _create_points() -> None:
    """The credit-points ledger: accounts, append-only entries, one-time redemption codes."""
    op.create_table(
        "point_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("holder", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_accounts")),
        sa.UniqueConstraint("holder", "ref", name=op.f("uq_point_accounts_holder_ref")),
    )
    op.create_table(
        "point_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("txn", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", AwareDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["point_accounts.id"], name=op.f("fk_point_entries_account_id_point_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_entries")),
    )
    with op.batch_alter_table("point_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_entries_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_point_entries_txn"), ["txn"], unique=False)
    append_only.create("point_entries")
    op.create_table(
        "redemption_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("expires_at", AwareDateTime, nullable=False),
        sa.Column("used_at", AwareDateTime, nullable=True),
        sa.Column("txn", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["point_accounts.id"], name=op.f("fk_redemption_codes_account_id_point_accounts")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_redemption_codes")),
    )


def _drop_points() -> None:
    op.drop_table("redemption_codes")
    append_only.drop("point_entries")
    op.drop_table("point_entries")
    op.drop_table("point_accounts")


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("leased_until")
        batch_op.drop_column("leased_by")
        batch_op.drop_column("priority")
        batch_op.alter_column("resident_id", existing_type=sa.String(length=64), nullable=False)
    for table in ("escalation_pings", "escalation_messages"):
        op.drop_table(table)
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for column in ("supervisor_pinged_at", "close_note", "closed_at", "claimed_at", "claimed_by", "urgent", "office"):
            batch_op.drop_column(column)
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_column("offers_off")
        batch_op.drop_column("talking_to")
    op.drop_table("offers")
    _drop_points()
    append_only.drop("status_history")
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.drop_column("action")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_applications_proposed_by_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_applications_assigned_to_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_applications_assigned_to"))
        batch_op.drop_column("decision")
        batch_op.drop_column("proposed_by")
        batch_op.drop_column("assigned_to")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_id")
        batch_op.drop_index(batch_op.f("ix_notifications_resident_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notes_application_id"))

    op.drop_table("case_notes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_office"))

    op.drop_table("users")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target_at")

    op.drop_table("audit_log")
