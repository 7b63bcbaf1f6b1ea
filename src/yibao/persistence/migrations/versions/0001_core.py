"""core: persons, accounts ledger, institutions, catalog

Also seeds the system accounts of the ledger (every journal entry's counterpart).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

SYSTEM_ACCOUNTS = [
    ("system:contribution_source", "contribution_source", "个人账户划入来源"),
    ("system:institution_payable", "institution_payable", "应付定点医药机构"),
    ("system:adjustments", "adjustments", "人工调整"),
    ("system:pooled_fund", "pooled_fund", "统筹基金"),
]


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hilist_code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("list_category", sa.String(length=3), nullable=False),
        sa.Column("chrgitm_lv", sa.String(length=2), nullable=False),
        sa.Column("dosage_form", sa.String(length=50), nullable=True),
        sa.Column("specification", sa.String(length=100), nullable=True),
        sa.Column("selfpay_prop", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("price_cap", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("begin_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("sex_limit", sa.String(length=6), nullable=True),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("indication", sa.Text(), nullable=True),
        sa.Column("pinyin_full", sa.String(length=400), nullable=False),
        sa.Column("pinyin_initials", sa.String(length=200), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('drug', 'service', 'material', 'facility')",
            name=op.f("ck_catalog_items_category"),
        ),
        sa.CheckConstraint(
            "chrgitm_lv IN ('01', '02', '03')", name=op.f("ck_catalog_items_chrgitm_lv")
        ),
        sa.CheckConstraint(
            "sex_limit IS NULL OR sex_limit IN ('male', 'female')",
            name=op.f("ck_catalog_items_sex"),
        ),
        sa.CheckConstraint(
            "selfpay_prop IS NULL OR (selfpay_prop >= 0 AND selfpay_prop <= 1)",
            name=op.f("ck_catalog_items_selfpay_prop"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint(
            "hilist_code", "begin_date", name=op.f("uq_catalog_items_hilist_code_begin_date")
        ),
    )
    op.create_index(
        op.f("ix_catalog_items_hilist_code"), "catalog_items", ["hilist_code"], unique=False
    )
    op.create_index(
        op.f("ix_catalog_items_pinyin_full"), "catalog_items", ["pinyin_full"], unique=False
    )
    op.create_index(
        op.f("ix_catalog_items_pinyin_initials"), "catalog_items", ["pinyin_initials"], unique=False
    )

    op.create_table(
        "institutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("lat", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("lon", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("designated_begin", sa.Date(), nullable=False),
        sa.Column("designated_end", sa.Date(), nullable=True),
        sa.Column("cross_province", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN ('甲', '乙')", name=op.f("ck_institutions_grade")
        ),
        sa.CheckConstraint("type IN ('hospital', 'pharmacy')", name=op.f("ck_institutions_type")),
        sa.CheckConstraint(
            "level IS NULL OR level IN (1, 2, 3)", name=op.f("ck_institutions_level")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("code", name=op.f("uq_institutions_code")),
    )
    op.create_index(op.f("ix_institutions_region"), "institutions", ["region"], unique=False)

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('monthly_credit', 'settlement_debit', 'reversal', 'adjustment')",
            name=op.f("ck_journal_entries_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    op.create_index(op.f("ix_journal_entries_ref"), "journal_entries", ["ref"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("certno_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("certno_hash", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=6), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("scheme", sa.String(length=10), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=False),
        sa.Column("person_group", sa.String(length=12), nullable=False),
        sa.Column("first_visit_hospital", sa.String(length=12), nullable=True),
        sa.Column("continuous_years", sa.Integer(), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scheme IN ('employee', 'resident')", name=op.f("ck_persons_scheme")),
        sa.CheckConstraint("sex IN ('male', 'female')", name=op.f("ck_persons_sex")),
        sa.CheckConstraint("continuous_years >= 0", name=op.f("ck_persons_continuous_years")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("certno_hash", name=op.f("uq_persons_certno_hash")),
        sa.UniqueConstraint("psn_no", name=op.f("uq_persons_psn_no")),
    )
    op.create_index(op.f("ix_persons_region"), "persons", ["region"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("balance_fen", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) = (balance_fen IS NULL)",
            name=op.f("ck_accounts_person_accounts_track_balance"),
        ),
        sa.CheckConstraint(
            "balance_fen IS NULL OR balance_fen >= 0", name=op.f("ck_accounts_balance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_accounts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_accounts_code")),
        sa.UniqueConstraint("person_id", name=op.f("uq_accounts_person_id")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_api_keys_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(
        op.f("ix_api_keys_institution_id"), "api_keys", ["institution_id"], unique=False
    )

    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'ended')", name=op.f("ck_enrolments_status")
        ),
        sa.CheckConstraint('"end" IS NULL OR "end" >= "begin"', name=op.f("ck_enrolments_dates")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_enrolments_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
    )
    op.create_index(op.f("ix_enrolments_person_id"), "enrolments", ["person_id"], unique=False)

    op.create_table(
        "postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_postings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_postings_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index(op.f("ix_postings_account_id"), "postings", ["account_id"], unique=False)
    op.create_index(op.f("ix_postings_entry_id"), "postings", ["entry_id"], unique=False)

    accounts = sa.table(
        "accounts",
        sa.column("code", sa.String),
        sa.column("kind", sa.String),
        sa.column("label", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if op.get_context().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        accounts,
        [{"code": c, "kind": k, "label": lb, "created_at": now} for c, k, lb in SYSTEM_ACCOUNTS],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_postings_entry_id"), table_name="postings")
    op.drop_index(op.f("ix_postings_account_id"), table_name="postings")

    op.drop_table("postings")
    op.drop_index(op.f("ix_enrolments_person_id"), table_name="enrolments")

    op.drop_table("enrolments")
    op.drop_index(op.f("ix_api_keys_institution_id"), table_name="api_keys")

    op.drop_table("api_keys")
    op.drop_table("accounts")
    op.drop_index(op.f("ix_persons_region"), table_name="persons")

    op.drop_table("persons")
    op.drop_index(op.f("ix_journal_entries_ref"), table_name="journal_entries")

    op.drop_table("journal_entries")
    op.drop_index(op.f("ix_institutions_region"), table_name="institutions")

    op.drop_table("institutions")
    op.drop_index(op.f("ix_catalog_items_pinyin_initials"), table_name="catalog_items")
    op.drop_index(op.f("ix_catalog_items_pinyin_full"), table_name="catalog_items")
    op.drop_index(op.f("ix_catalog_items_hilist_code"), table_name="catalog_items")

    op.drop_table("catalog_items")
