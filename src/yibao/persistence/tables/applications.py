"""Applications (申请) a person files online, their status timeline and uploaded materials,
站内消息 notices, and the standing effects of approved applications (cross-region filings,
chronic disease certifications)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow

KINDS = ("claim", "cross_region_filing", "chronic_disease", "first_visit_hospital", "card_loss")
STATUSES = ("submitted", "reviewing", "returned", "approved", "rejected", "paid", "reversed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Application(Base):
    """One application; ``details`` is the kind's form as JSON (see services/applications)."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_applications_person_kind", "person_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(12))
    details: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ApplicationEvent(Base):
    """One row of an application's status timeline."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(12))  # citizen | staff
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ApplicationFile(Base):
    """An uploaded material, already checked and re-encoded by the upload service."""

    __tablename__ = "application_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    material: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Notice(Base):
    """站内消息: a message to one person, with the application it is about (if any)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CrossRegionFiling(Base):
    """异地就医备案 in force: written when the filing application is approved."""

    __tablename__ = "cross_region_filings"
    __table_args__ = (
        CheckConstraint(_in("filing_type", ("long_term", "temporary", "referral")), name="type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    filing_type: Mapped[str] = mapped_column(String(10))
    destination_region: Mapped[str] = mapped_column(String(6))
    institution_code: Mapped[str | None] = mapped_column(String(12))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ChronicCertification(Base):
    """慢特病认定 in force: the certified class (and disease) the settlement uses."""

    __tablename__ = "chronic_certifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    chronic_class: Mapped[str] = mapped_column(String(12))
    disease_code: Mapped[str] = mapped_column(String(30))
    disease_name: Mapped[str] = mapped_column(String(100))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
