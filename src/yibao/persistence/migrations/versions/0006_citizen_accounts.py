"""Citizen app accounts (phone + password, real-name binding), sessions, SMS verification
codes and identity-check attempts.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "citizen_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        _ts("bound_at", True),
        _ts("face_verified_at", True),
        _ts("voucher_activated_at", True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _ts("locked_until", True),
        sa.Column("binding_failures", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("password_changed_at"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_citizen_users_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_users")),
        sa.UniqueConstraint("person_id", name=op.f("uq_citizen_users_person_id")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_citizen_users_phone_hash")),
    )
    op.create_table(
        "citizen_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("revoked_at", True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["citizen_users.id"],
            name=op.f("fk_citizen_sessions_user_id_citizen_users"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_citizen_sessions")),
    )
    op.create_index(
        op.f("ix_citizen_sessions_user_id"), "citizen_sessions", ["user_id"], unique=False
    )
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        sa.Column("wrong_entries", sa.Integer(), nullable=False),
        _ts("used_at", True),
        sa.CheckConstraint("purpose IN ('reset')", name=op.f("ck_verification_codes_purpose")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
    )
    op.create_index(
        op.f("ix_verification_codes_phone_hash"), "verification_codes", ["phone_hash"], unique=False
    )
    op.create_table(
        "identity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("verifier", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=14), nullable=False),
        sa.Column("failed_check", sa.String(length=20), nullable=True),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("id_photo", sa.String(length=80), nullable=False),
        sa.Column("selfie", sa.String(length=80), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint(
            "result IN ('passed', 'failed', 'manual_review')",
            name=op.f("ck_identity_checks_result"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["citizen_users.id"], name=op.f("fk_identity_checks_user_id_citizen_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
    )
    op.create_index(
        op.f("ix_identity_checks_user_id"), "identity_checks", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_identity_checks_user_id"), table_name="identity_checks")
    op.drop_table("identity_checks")
    op.drop_index(op.f("ix_verification_codes_phone_hash"), table_name="verification_codes")
    op.drop_table("verification_codes")
    op.drop_index(op.f("ix_citizen_sessions_user_id"), table_name="citizen_sessions")
    op.drop_table("citizen_sessions")
    op.drop_table("citizen_users")
