"""Hospital settlement API: messages (exactly once), visits, fee lines, settlements, sign-ins.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:20:52.229477
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "fsi_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("infno", sa.String(length=6), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_fsi_messages_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fsi_messages")),
        sa.UniqueConstraint(
            "institution_id", "msgid", name=op.f("uq_fsi_messages_institution_id_msgid")
        ),
    )
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sign_no", sa.String(length=30), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("opter_no", sa.String(length=30), nullable=False),
        sa.Column("sign_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_sign_ins_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
        sa.UniqueConstraint("sign_no", name=op.f("uq_sign_ins_sign_no")),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("med_type", sa.String(length=6), nullable=False),
        sa.Column("ipt_otp_no", sa.String(length=30), nullable=False),
        sa.Column("mdtrt_cert_type", sa.String(length=3), nullable=False),
        sa.Column("begntime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endtime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dise_codg", sa.String(length=30), nullable=True),
        sa.Column("dise_name", sa.String(length=500), nullable=True),
        sa.Column("dept_name", sa.String(length=100), nullable=True),
        sa.Column("dr_name", sa.String(length=50), nullable=True),
        sa.Column("chronic_class", sa.String(length=12), nullable=True),
        sa.Column("oncology_course", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_visits_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_visits_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("mdtrt_id", name=op.f("uq_visits_mdtrt_id")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visits_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            "ix_visits_institution_ipt_otp_no", ["institution_id", "ipt_otp_no"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visits_person_id"), ["person_id"], unique=False)

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("infno", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("setl_date", sa.Date(), nullable=False),
        sa.Column("setl_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("med_type", sa.String(length=6), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("policy", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.String(length=10), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("medfee_fen", sa.BigInteger(), nullable=False),
        sa.Column("fulamt_ownpay_fen", sa.BigInteger(), nullable=False),
        sa.Column("overlmt_selfpay_fen", sa.BigInteger(), nullable=False),
        sa.Column("preselfpay_fen", sa.BigInteger(), nullable=False),
        sa.Column("inscp_scp_fen", sa.BigInteger(), nullable=False),
        sa.Column("act_pay_dedc_fen", sa.BigInteger(), nullable=False),
        sa.Column("hifp_pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("hifmi_pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("fund_pay_sumamt_fen", sa.BigInteger(), nullable=False),
        sa.Column("psn_part_fen", sa.BigInteger(), nullable=False),
        sa.Column("acct_pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("psn_cash_pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("balc_fen", sa.BigInteger(), nullable=False),
        sa.Column("ytd_delta", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_settlements_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_settlements_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["settlements.id"], name=op.f("fk_settlements_reverses_id_settlements")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_settlements_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("setl_id", name=op.f("uq_settlements_setl_id")),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlements_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_settlements_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlements_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "fee_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("feedetl_sn", sa.String(length=30), nullable=False),
        sa.Column("chrg_bchno", sa.String(length=30), nullable=False),
        sa.Column("med_list_codg", sa.String(length=50), nullable=False),
        sa.Column("medins_list_codg", sa.String(length=150), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cnt", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("pric", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("list_type", sa.String(length=1), nullable=False),
        sa.Column("chrgitm_lv", sa.String(length=3), nullable=False),
        sa.Column("selfpay_prop", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("limit_fen", sa.BigInteger(), nullable=True),
        sa.Column("fee_ocur_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_fee_lines_settlement_id_settlements"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_fee_lines_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_lines")),
        sa.UniqueConstraint(
            "visit_id", "feedetl_sn", name=op.f("uq_fee_lines_visit_id_feedetl_sn")
        ),
    )
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_lines_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "settlement_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("fund_pay_type", sa.String(length=6), nullable=False),
        sa.Column("inscp_scp_fen", sa.BigInteger(), nullable=False),
        sa.Column("fund_payamt_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_settlement_funds_settlement_id_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_funds")),
    )
    with op.batch_alter_table("settlement_funds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_funds_settlement_id"), ["settlement_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("settlement_funds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_funds_settlement_id"))

    op.drop_table("settlement_funds")
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_lines_visit_id"))

    op.drop_table("fee_lines")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlements_visit_id"))
        batch_op.drop_index(batch_op.f("ix_settlements_person_id"))
        batch_op.drop_index(batch_op.f("ix_settlements_institution_id"))

    op.drop_table("settlements")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_person_id"))
        batch_op.drop_index("ix_visits_institution_ipt_otp_no")
        batch_op.drop_index(batch_op.f("ix_visits_institution_id"))

    op.drop_table("visits")
    op.drop_table("sign_ins")
    op.drop_table("fsi_messages")
