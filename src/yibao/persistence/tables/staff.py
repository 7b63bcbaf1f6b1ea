"""经办人员: staff members, their regions and their server-side sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow

ROLES = ("reviewer", "payer", "admin")


class StaffMember(Base):
    __tablename__ = "staff_members"
    __table_args__ = (CheckConstraint("role IN ('reviewer', 'payer', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    # True until the first login replaces the one-time initial password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # The TOTP secret, encrypted (AES-GCM, purpose "staff-totp"); None before enrolment.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # True once a code from the enrolled secret was entered (the enrolment is confirmed).
    totp_enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last accepted TOTP time step: a code is accepted once only.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StaffRegion(Base):
    """A region (6-digit 行政区划 code, or a prefix such as 1501) the member may see."""

    __tablename__ = "staff_regions"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), primary_key=True)
    region: Mapped[str] = mapped_column(String(6), primary_key=True)


class StaffSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored.

    ``stage`` is ``setup`` after the password of a member who must still change it or enrol
    the second factor, and ``full`` once the second factor was checked.
    """

    __tablename__ = "staff_sessions"
    __table_args__ = (CheckConstraint("stage IN ('setup', 'full')", name="stage"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    stage: Mapped[str] = mapped_column(String(6))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
