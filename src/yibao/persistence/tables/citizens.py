"""The citizen app's own rows: accounts (phone + password), sessions, SMS verification
codes and identity-check (人脸认证) attempts. A citizen account is bound to at most one
enrolled person (实名认证); until then it sees nothing of anyone's insurance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow


class CitizenUser(Base):
    __tablename__ = "citizen_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The phone number: AES-GCM ciphertext plus a keyed hash for lookup, never in clear.
    phone_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), unique=True)
    bound_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    face_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    voucher_activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    binding_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CitizenSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "citizen_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("citizen_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class VerificationCode(Base):
    """An SMS code (password reset); only its hash is stored; a few wrong entries kill it."""

    __tablename__ = "verification_codes"
    __table_args__ = (CheckConstraint("purpose IN ('reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    wrong_entries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class IdentityCheck(Base):
    """One 人脸认证 attempt and its result (the 认证记录 page lists them)."""

    __tablename__ = "identity_checks"
    __table_args__ = (
        CheckConstraint("result IN ('passed', 'failed', 'manual_review')", name="result"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("citizen_users.id"), index=True)
    verifier: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(14))
    failed_check: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(200))
    id_photo: Mapped[str] = mapped_column(String(80))
    selfie: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
