"""Server-side staff sessions: the browser holds a random token, the database its SHA-256.

Sessions expire after 8 hours, and are revoked on logout, password change, reset and
deactivation. Each carries its own CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yibao.persistence.tables import StaffMember, StaffSession

SESSION_TTL = timedelta(hours=8)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Opened:
    token: str
    row: StaffSession


def open_session(session: Session, member: StaffMember, stage: str, now: datetime) -> Opened:
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=_hash(token),
        staff_id=member.id,
        stage=stage,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    session.add(row)
    session.flush()
    return Opened(token, row)


def current(
    session: Session, token: str | None, now: datetime
) -> tuple[StaffSession, StaffMember] | None:
    """The live session for ``token`` and its member, or None (unknown, expired, revoked,
    or the member deactivated)."""
    if not token or len(token) > 100:
        return None
    row = session.get(StaffSession, _hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    member = session.get(StaffMember, row.staff_id)
    if member is None or not member.active:
        return None
    return row, member


def token_hash(token: str) -> str:
    return _hash(token)


def close(session: Session, token: str, now: datetime) -> None:
    row = session.get(StaffSession, _hash(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
