"""Tables of the hospital settlement API: messages (exactly once), visits, fee lines,
settlements and their fund rows, sign-ins. Amounts are integer fen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow


class FsiMessage(Base):
    """One accepted request per (institution, msgid): the key of exactly-once processing."""

    __tablename__ = "fsi_messages"
    __table_args__ = (UniqueConstraint("institution_id", "msgid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    msgid: Mapped[str] = mapped_column(String(30))
    infno: Mapped[str] = mapped_column(String(6))
    body_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Visit(Base):
    """就诊: an outpatient registration (2201) or an admission (2401); ``mdtrt_id``."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_institution_ipt_otp_no", "institution_id", "ipt_otp_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(String(30), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # outpatient | inpatient
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str] = mapped_column(String(6))
    ipt_otp_no: Mapped[str] = mapped_column(String(30))
    mdtrt_cert_type: Mapped[str] = mapped_column(String(3))
    begntime: Mapped[datetime] = mapped_column(UtcDateTime())
    endtime: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    dise_codg: Mapped[str | None] = mapped_column(String(30), nullable=True)
    dise_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dept_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dr_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    chronic_class: Mapped[str | None] = mapped_column(String(12), nullable=True)
    oncology_course: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(
        String(12), default="open"
    )  # open|discharged|settled|cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class FeeLine(Base):
    """费用明细 (2204 / 2301), split against the catalog when uploaded."""

    __tablename__ = "fee_lines"
    __table_args__ = (UniqueConstraint("visit_id", "feedetl_sn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    chrg_bchno: Mapped[str] = mapped_column(String(30), default="")
    med_list_codg: Mapped[str] = mapped_column(String(50))
    medins_list_codg: Mapped[str] = mapped_column(String(150), default="")
    name: Mapped[str] = mapped_column(String(200))
    cnt: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    pric: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    matched: Mapped[bool] = mapped_column(Boolean)
    list_type: Mapped[str] = mapped_column(String(1))
    chrgitm_lv: Mapped[str] = mapped_column(String(3))
    selfpay_prop: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    limit_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fee_ocur_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), nullable=True)


class Settlement(Base):
    """A settlement (2207/2304) or its reversal (2208/2305, every amount negative)."""

    __tablename__ = "settlements"
    # The invoice number (发票号) a hospital sent, for the smart audit's look-up by invoice
    # and institution (DUP_INVOICE). Not unique: a repeated invoice is flagged for review,
    # never refused at the counter. Reversals and claims' settlements store no invoice.
    __table_args__ = (Index("ix_settlements_invono", "invono", "institution_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    setl_id: Mapped[str] = mapped_column(String(30), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # settle | reversal
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), nullable=True)
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    msgid: Mapped[str] = mapped_column(String(30))
    infno: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    setl_date: Mapped[date] = mapped_column(Date)
    setl_time: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    med_type: Mapped[str] = mapped_column(String(6))
    insutype: Mapped[str] = mapped_column(String(6))
    policy: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[str] = mapped_column(String(10))
    eligible: Mapped[bool] = mapped_column(Boolean)
    medfee_fen: Mapped[int] = mapped_column(BigInteger)
    fulamt_ownpay_fen: Mapped[int] = mapped_column(BigInteger)
    overlmt_selfpay_fen: Mapped[int] = mapped_column(BigInteger)
    preselfpay_fen: Mapped[int] = mapped_column(BigInteger)
    inscp_scp_fen: Mapped[int] = mapped_column(BigInteger)
    act_pay_dedc_fen: Mapped[int] = mapped_column(BigInteger)
    hifp_pay_fen: Mapped[int] = mapped_column(BigInteger)
    hifmi_pay_fen: Mapped[int] = mapped_column(BigInteger)
    fund_pay_sumamt_fen: Mapped[int] = mapped_column(BigInteger)
    psn_part_fen: Mapped[int] = mapped_column(BigInteger)
    acct_pay_fen: Mapped[int] = mapped_column(BigInteger)
    psn_cash_pay_fen: Mapped[int] = mapped_column(BigInteger)
    balc_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    ytd_delta: Mapped[str] = mapped_column(
        Text
    )  # JSON: this settlement's year-to-date contribution
    explanation: Mapped[str] = mapped_column(Text)  # JSON list of lines
    # 发票号 (2207/2304's optional ``invono``), upper case; None for reversals and claims
    invono: Mapped[str | None] = mapped_column(String(20), nullable=True)


class SettlementFund(Base):
    """setldetail: one row per fund (and the personal account) that paid."""

    __tablename__ = "settlement_funds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    fund_pay_type: Mapped[str] = mapped_column(String(6))
    inscp_scp_fen: Mapped[int] = mapped_column(BigInteger)
    fund_payamt_fen: Mapped[int] = mapped_column(BigInteger)


class SignIn(Base):
    """签到 (9001)."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sign_no: Mapped[str] = mapped_column(String(30), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    opter_no: Mapped[str] = mapped_column(String(30))
    sign_time: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
