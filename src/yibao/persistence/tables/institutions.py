"""定点医药机构 (designated institutions) and their hashed API keys."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.persistence.base import Base, UtcDateTime, utcnow


class Institution(Base):
    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint("type IN ('hospital', 'pharmacy')", name="type"),
        CheckConstraint("level IS NULL OR level IN (1, 2, 3)", name="level"),
        CheckConstraint("grade IS NULL OR grade IN ('甲', '乙')", name="grade"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(10))
    level: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(1))
    region: Mapped[str] = mapped_column(String(6), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    designated_begin: Mapped[date] = mapped_column(Date)
    designated_end: Mapped[date | None] = mapped_column(Date)
    cross_province: Mapped[bool] = mapped_column(Boolean, default=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="institution")


class ApiKey(Base):
    """Only an argon2 hash of the key is kept; ``prefix`` (its first 12 chars) finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    institution: Mapped[Institution] = relationship(back_populates="api_keys")
