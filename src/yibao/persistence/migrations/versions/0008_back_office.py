"""Back office (issue 9): staff members, their regions and sessions, the append-only audit
log (UPDATE and DELETE refused by triggers), uploaded policy documents, catalog imports,
claim reviews and payments, and the applications' status 已撤销 (reversed).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = sa.DateTime(timezone=True)
# The 统计看板's covering index on settlements (persistence/tables/dashboard_index.py).
DASHBOARD_COLUMNS = (
    "setl_date",
    "person_id",
    "institution_id",
    "kind",
    "reversed",
    "med_type",
    "policy",
    "medfee_fen",
    "fund_pay_sumamt_fen",
    "psn_part_fen",
)


def _staff_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["staff_members.id"], name=op.f(f"fk_{table}_{column}_staff_members")
    )


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("totp_secret", sa.LargeBinary(), nullable=True),
        sa.Column("totp_enrolled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_TS, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint(
            "role IN ('reviewer', 'payer', 'admin')", name=op.f("ck_staff_members_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_members_username")),
    )
    op.create_table(
        "staff_regions",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        _staff_fk("staff_id", "staff_regions"),
        sa.PrimaryKeyConstraint("staff_id", "region", name=op.f("pk_staff_regions")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=6), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("expires_at", UTC_TS, nullable=False),
        sa.Column("revoked_at", UTC_TS, nullable=True),
        sa.CheckConstraint("stage IN ('setup', 'full')", name=op.f("ck_staff_sessions_stage")),
        _staff_fk("staff_id", "staff_sessions"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_sessions")),
    )
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=60), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        _staff_fk("staff_id", "audit_log"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"])
    _append_only("audit_log")
    op.create_table(
        "policy_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTC_TS, nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", UTC_TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'withdrawn')",
            name=op.f("ck_policy_documents_status"),
        ),
        _staff_fk("published_by", "policy_documents"),
        _staff_fk("uploaded_by", "policy_documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_documents")),
    )
    op.create_index(op.f("ix_policy_documents_policy_id"), "policy_documents", ["policy_id"])
    op.create_table(
        "catalog_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        _staff_fk("staff_id", "catalog_imports"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_imports")),
    )
    op.create_index("ix_settlements_dashboard", "settlements", list(DASHBOARD_COLUMNS))
    _claims_and_payments()


def _fk(column: str, table: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _claims_and_payments() -> None:
    op.create_table(
        "claim_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint(
            "action IN ('first_approval', 'approve', 'return', 'reject')",
            name=op.f("ck_claim_reviews_action"),
        ),
        _fk("application_id", "claim_reviews", "applications"),
        _staff_fk("staff_id", "claim_reviews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_reviews")),
    )
    op.create_index(op.f("ix_claim_reviews_application_id"), "claim_reviews", ["application_id"])
    op.create_table(
        "claim_invoices",
        sa.Column("invoice_no", sa.String(length=30), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        _fk("application_id", "claim_invoices", "applications"),
        _fk("settlement_id", "claim_invoices", "settlements"),
        sa.PrimaryKeyConstraint("invoice_no", name=op.f("pk_claim_invoices")),
        sa.UniqueConstraint("application_id", name=op.f("uq_claim_invoices_application_id")),
    )
    op.create_table(
        "payment_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("paid_by", sa.Integer(), nullable=True),
        sa.Column("paid_at", UTC_TS, nullable=True),
        sa.CheckConstraint("status IN ('built', 'paid')", name=op.f("ck_payment_batches_status")),
        _staff_fk("created_by", "payment_batches"),
        _staff_fk("paid_by", "payment_batches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_batches")),
    )
    op.create_table(
        "payment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        _fk("application_id", "payment_items", "applications"),
        _fk("batch_id", "payment_items", "payment_batches"),
        _fk("person_id", "payment_items", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_items")),
        sa.UniqueConstraint("application_id", name=op.f("uq_payment_items_application_id")),
    )
    op.create_index(op.f("ix_payment_items_batch_id"), "payment_items", ["batch_id"])
    _application_statuses((*APPLICATION_STATUSES, "reversed"))


APPLICATION_STATUSES = ("submitted", "reviewing", "returned", "approved", "rejected", "paid")


def _application_statuses(statuses: tuple[str, ...]) -> None:
    """已撤销 (``reversed``): a claim whose settlement a payer or admin reversed."""
    allowed = ", ".join(f"'{s}'" for s in statuses)
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint(op.f("ck_applications_status"), type_="check")
        batch.create_check_constraint(op.f("ck_applications_status"), f"status IN ({allowed})")


def _append_only(table: str) -> None:
    """Triggers that refuse UPDATE and DELETE, on SQLite and on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
    )


def downgrade() -> None:
    _application_statuses(APPLICATION_STATUSES)
    for table in ("payment_items", "payment_batches", "claim_invoices", "claim_reviews"):
        op.drop_table(table)
    op.drop_index("ix_settlements_dashboard", table_name="settlements")
    op.drop_table("catalog_imports")
    op.drop_index(op.f("ix_policy_documents_policy_id"), table_name="policy_documents")
    op.drop_table("policy_documents")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_regions")
    op.drop_table("staff_members")
