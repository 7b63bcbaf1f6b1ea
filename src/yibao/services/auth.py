"""Citizen sign-in: ID number + password (argon2), lockout after repeated failures, and
short-lived signed access tokens (JWT, HS256, with type and audience checked)."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, or_, update
from sqlalchemy.orm import Session, sessionmaker

from yibao.persistence.db import transaction
from yibao.persistence.tables import Person
from yibao.persistence.tables.credentials import PersonCredential
from yibao.services import persons
from yibao.services.errors import InvalidInput

MIN_PASSWORD = 8
MAX_PASSWORD = 128
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_TTL = timedelta(minutes=30)
AUDIENCE = "yibao-app"
ALGORITHM = "HS256"
COMMON = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "password1",
        "qwertyui",
        "11111111",
        "88888888",
        "abc12345",
        "a1234567",
        "00000000",
        "12341234",
        "1q2w3e4r",
        "qwertyuiop",
        "iloveyou",
        "woaini1314",
        "5201314520",
        "aa123456",
        "a12345678",
        "password123",
        "qwerty123",
        "abcd1234",
        "admin123",
    }
)

# argon2id with OWASP's parameters (19 MiB, 2 passes, one lane), as for institution keys: one
# verification keeps one core busy for tens of milliseconds instead of every core for longer.
# Hashes made with other parameters still verify (they carry their own).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# At most half the cores verify passwords at once (argon2 is CPU- and memory-hard on purpose):
# a burst of sign-ins, or of attempts for unknown ID numbers, queues here instead of taking
# every core from the settlement API.
_hashing = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


def _verify(digest: str, password: str) -> None:
    """argon2 verify, raising VerificationError / InvalidHashError on a mismatch."""
    with _hashing:
        _hasher.verify(digest, password)


class LoginFailed(Exception):
    """Wrong ID number or password, or the account is locked: one message for all."""


def check_password(password: str) -> None:
    """Raise :class:`InvalidInput` (field ``password``) unless the password is acceptable:
    8–128 characters, not a common password, at least 4 different characters."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"密码长度应为 {MIN_PASSWORD}–{MAX_PASSWORD} 位", field="password")
    if password.lower() in COMMON or len(set(password)) < 4:
        raise InvalidInput("密码过于简单，请换一个", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(digest: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(digest, password))
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, person: Person, password: str) -> None:
    check_password(password)
    cred = session.get(PersonCredential, person.id)
    digest = _hasher.hash(password)
    if cred is None:
        session.add(PersonCredential(person_id=person.id, password_hash=digest))
    else:
        cred.password_hash = digest
        cred.failed_attempts = 0
        cred.locked_until = None
        cred.updated_at = datetime.now(UTC)
    session.flush()


def login(
    session_factory: sessionmaker[Session],
    certno: str,
    password: str,
    now: datetime,
    *,
    reader: sessionmaker[Session] | None = None,
) -> Person:
    """The person, or :class:`LoginFailed`. Failures are counted; 5 in a row lock 15 minutes.

    Blocking (database and argon2): call it from a thread, never on the event loop. No
    database transaction is held while argon2 runs, and nothing is written for an ID number
    that has no password. The failure count is one conditional UPDATE, so parallel attempts
    (several workers, PostgreSQL or SQLite) each count: the 5th failure locks, whatever the
    concurrency. ``reader``, if given, makes the sessions for the first lookup (read-only).
    """
    with (reader or session_factory)() as session:
        person = persons.find_by_certno(session, certno) if certno else None
        cred = session.get(PersonCredential, person.id) if person is not None else None
        digest = cred.password_hash if cred is not None else None
        locked = cred is not None and cred.locked_until is not None and cred.locked_until > now
        session.commit()  # end the read transaction before hashing: no lock is held
    if person is None or digest is None or locked:
        equalise_timing(password)  # same cost whether the ID number exists, or is locked
        raise LoginFailed
    try:
        _verify(digest, password)
    except (VerificationError, InvalidHashError):
        transaction(session_factory, lambda s: _count_failure(s, person.id, now))
        raise LoginFailed from None
    if not transaction(session_factory, lambda s: _reset_failures(s, person.id, now)):
        raise LoginFailed  # locked by a parallel failure meanwhile
    return person


_DUMMY_HASH = _hasher.hash("yibao: a password no account has")


def equalise_timing(password: str) -> None:
    """Spend what a real verification costs, for an unknown or locked account."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _verify(_DUMMY_HASH, password or "x")


def _count_failure(session: Session, person_id: int, now: datetime) -> None:
    """One more failure, atomically; the MAX_FAILURES-th locks the account and restarts the
    count. Attempts while locked are not counted (they are refused before argon2)."""
    c = PersonCredential
    reaches = c.failed_attempts + 1 >= MAX_FAILURES
    session.execute(
        update(c)
        .where(c.person_id == person_id)
        .values(
            failed_attempts=case((reaches, 0), else_=c.failed_attempts + 1),
            locked_until=case((reaches, now + LOCKOUT), else_=c.locked_until),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def _reset_failures(session: Session, person_id: int, now: datetime) -> bool:
    """Clear the count unless the account is locked now; False if it is."""
    c = PersonCredential
    row = session.execute(
        update(c)
        .where(c.person_id == person_id)
        .where(or_(c.locked_until.is_(None), c.locked_until <= now))
        .values(failed_attempts=0, locked_until=None)
        .returning(c.person_id)
        .execution_options(synchronize_session=False)
    ).first()
    return row is not None


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: datetime


def issue_token(key: bytes, person: Person, now: datetime) -> Token:
    expires = now + TOKEN_TTL
    claims = {
        "sub": person.psn_no,
        "typ": "person",
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return Token(jwt.encode(claims, key, algorithm=ALGORITHM), expires)


def read_token(key: bytes, token: str) -> str | None:
    """The psn_no the token was issued to, or None if it is invalid or expired."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "typ", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "person":
        return None
    return str(claims["sub"])
