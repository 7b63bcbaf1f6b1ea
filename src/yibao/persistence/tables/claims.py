"""Claim review and payment (手工报销 in the back office): each reviewer's decision, the
invoices already accepted (one claim per invoice), payment batches and their items (one item
per claim, ever: a claim is paid at most once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow


class ClaimReview(Base):
    """One reviewer's step on a claim: a first approval awaiting the second, or a decision."""

    __tablename__ = "claim_reviews"
    __table_args__ = (
        CheckConstraint(
            "action IN ('first_approval', 'approve', 'return', 'reject')", name="action"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    action: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ClaimInvoice(Base):
    """An invoice number accepted for a claim: the unique key makes a second claim (or a
    concurrent approval) for the same invoice fail."""

    __tablename__ = "claim_invoices"

    invoice_no: Mapped[str] = mapped_column(String(30), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PaymentBatch(Base):
    """支付批次: approved claims paid together by bank transfer."""

    __tablename__ = "payment_batches"
    __table_args__ = (CheckConstraint("status IN ('built', 'paid')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(6), default="built")
    total_fen: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PaymentItem(Base):
    __tablename__ = "payment_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    # Unique: the same claim can never be in two batches, even built at the same moment.
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
