"""参保人 (insured persons) and their enrolment periods."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.persistence.base import Base, UtcDateTime, utcnow


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("scheme IN ('employee', 'resident')", name="scheme"),
        CheckConstraint("sex IN ('male', 'female')", name="sex"),
        CheckConstraint("continuous_years >= 0", name="continuous_years"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    psn_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    # The ID number (身份证号) is never stored in clear: AES-GCM ciphertext plus a keyed hash.
    certno_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    certno_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str] = mapped_column(String(6))
    birth_date: Mapped[date] = mapped_column(Date)
    phone_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    region: Mapped[str] = mapped_column(String(6), index=True)
    scheme: Mapped[str] = mapped_column(String(10))
    policy_id: Mapped[str] = mapped_column(String(40))
    person_group: Mapped[str] = mapped_column(String(12))
    first_visit_hospital: Mapped[str | None] = mapped_column(String(12))
    continuous_years: Mapped[int] = mapped_column(Integer, default=0)
    death_date: Mapped[date | None] = mapped_column(Date)
    # 挂失: while set, the social-security card (mdtrt_cert_type 03) is refused.
    card_lost_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="person", order_by="Enrolment.begin", cascade="all, delete-orphan"
    )


class Enrolment(Base):
    """One period of enrolment (参保期间) with its status; ``end`` None means open-ended."""

    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'paused', 'ended')", name="status"),
        CheckConstraint('"end" IS NULL OR "end" >= "begin"', name="dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="enrolments")
