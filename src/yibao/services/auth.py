"""Citizen sign-in: ID number + password (argon2), lockout after repeated failures, and
short-lived signed access tokens (JWT, HS256, with type and audience checked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

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

_hasher = PasswordHasher()


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


def login(session: Session, certno: str, password: str, now: datetime) -> Person:
    """The person, or :class:`LoginFailed`. Failures are counted; 5 in a row lock 15 minutes."""
    person = persons.find_by_certno(session, certno) if certno else None
    cred = session.get(PersonCredential, person.id) if person is not None else None
    if person is None or cred is None:
        _hasher.hash(password or "x")  # same cost whether or not the person exists
        raise LoginFailed
    if cred.locked_until is not None and cred.locked_until > now:
        raise LoginFailed
    try:
        _hasher.verify(cred.password_hash, password)
    except (VerificationError, InvalidHashError):
        cred.failed_attempts += 1
        if cred.failed_attempts >= MAX_FAILURES:
            cred.locked_until = now + LOCKOUT
            cred.failed_attempts = 0
        raise LoginFailed from None
    cred.failed_attempts = 0
    cred.locked_until = None
    return person


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
