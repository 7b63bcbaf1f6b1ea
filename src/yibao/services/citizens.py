"""Citizen app accounts: register with a phone number and password, bind the real name
(姓名 + 身份证号 matched against the enrolment record), sign in with phone or ID number,
server-side sessions, password change and reset by SMS verification code.

Errors are :class:`InvalidInput` naming the form field (``phone``, ``password``,
``confirm``, ``name``, ``certno``, ``code``); nothing is written when one is raised.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yibao.domain.idcard import IdCardError, parse_certno
from yibao.persistence.tables import (
    CitizenSession,
    CitizenUser,
    Person,
    PersonCredential,
    VerificationCode,
)
from yibao.services import agencies, auth, persons
from yibao.services.crypto import FieldCrypto, default_crypto
from yibao.services.errors import InvalidInput
from yibao.services.sms import SmsSender

SESSION_TTL = timedelta(hours=2)  # idle: each use pushes the expiry forward
SESSION_MAX = timedelta(hours=12)  # absolute
MAX_LOGIN_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
CODE_TTL = timedelta(minutes=10)
CODE_INTERVAL = timedelta(seconds=60)
CODES_PER_HOUR = 5
MAX_CODE_ENTRIES = 5
_PHONE = "phone"


class LoginFailed(Exception):
    """Wrong phone/ID number or password, or the account is locked: one message for all."""


@dataclass(frozen=True, slots=True)
class BindingMismatch(Exception):
    """姓名 and 身份证号 do not match an enrolment record: what to check, whom to contact."""

    field: str
    message: str
    checks: tuple[str, ...]
    agency: agencies.Agency


BINDING_CHECKS = (
    "姓名是否与身份证上的完全一致（含生僻字、少数民族姓名中的“·”）",
    "身份证号是否为 18 位、末位 X 是否填写正确",
    "是否已在本统筹区参保（在外地或行业单位参保的，请到参保地办理）",
    "参保登记时留存的姓名、身份证号是否与现持二代身份证一致",
)


def _crypto(crypto: FieldCrypto | None) -> FieldCrypto:
    return crypto if crypto is not None else default_crypto()


def normalize_phone(raw: str) -> str:
    phone = raw.strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not persons.PHONE_RE.match(phone):
        raise InvalidInput("请输入 11 位手机号，以 1 开头", field="phone")
    return phone


def phone_hash(phone: str, crypto: FieldCrypto | None = None) -> str:
    return _crypto(crypto).lookup_hash(phone, purpose=_PHONE)


def phone_of(user: CitizenUser, crypto: FieldCrypto | None = None) -> str:
    return _crypto(crypto).decrypt(user.phone_ciphertext, purpose=_PHONE)


def check_new_password(password: str, confirm: str) -> None:
    auth.check_password(password)
    if password != confirm:
        raise InvalidInput("两次输入的密码不一致", field="confirm")


def find_by_phone(session: Session, phone: str) -> CitizenUser | None:
    return session.scalars(
        select(CitizenUser).where(CitizenUser.phone_hash == phone_hash(phone))
    ).one_or_none()


def register(session: Session, phone: str, password: str, confirm: str) -> CitizenUser:
    phone = normalize_phone(phone)
    check_new_password(password, confirm)
    if find_by_phone(session, phone) is not None:
        raise InvalidInput("该手机号已注册，请直接登录或找回密码", field="phone")
    fc = _crypto(None)
    user = CitizenUser(
        phone_ciphertext=fc.encrypt(phone, purpose=_PHONE),
        phone_hash=fc.lookup_hash(phone, purpose=_PHONE),
        password_hash=auth.hash_password(password),
        failed_logins=0,
        binding_failures=0,
    )
    session.add(user)
    session.flush()
    return user


def person_of(session: Session, user: CitizenUser) -> Person | None:
    return session.get(Person, user.person_id) if user.person_id is not None else None


def _user_for_ident(session: Session, ident: str) -> CitizenUser | None:
    """By phone number; else by ID number through the bound person. A person who has only
    the API credential (``yibao person set-password``) gets a citizen account on first use,
    with the phone number on their enrolment record."""
    ident = ident.strip().replace(" ", "")
    if persons.PHONE_RE.match(ident):
        return find_by_phone(session, ident)
    person = persons.find_by_certno(session, ident) if len(ident) >= 15 else None
    if person is None:
        return None
    return session.scalars(
        select(CitizenUser).where(CitizenUser.person_id == person.id)
    ).one_or_none()


def _api_credential_user(
    session: Session, ident: str, password: str, now: datetime
) -> CitizenUser | None:
    person = persons.find_by_certno(session, ident.strip()) if len(ident.strip()) >= 15 else None
    if person is None or person.phone_ciphertext is None:
        return None
    cred = session.get(PersonCredential, person.id)
    if cred is None or not auth.verify_password(cred.password_hash, password):
        return None
    fc = _crypto(None)
    phone = fc.decrypt(person.phone_ciphertext, purpose="phone")
    if find_by_phone(session, phone) is not None:
        return None
    user = CitizenUser(
        phone_ciphertext=fc.encrypt(phone, purpose=_PHONE),
        phone_hash=fc.lookup_hash(phone, purpose=_PHONE),
        password_hash=cred.password_hash,
        person_id=person.id,
        bound_at=now,
        failed_logins=0,
        binding_failures=0,
    )
    session.add(user)
    session.flush()
    return user


def login(session: Session, ident: str, password: str, now: datetime) -> CitizenUser:
    """The account, or :class:`LoginFailed` (failures counted: 5 in a row lock 15 minutes)."""
    user = _user_for_ident(session, ident)
    if user is None:
        created = _api_credential_user(session, ident, password, now)
        if created is not None:
            return created
        auth.hash_password(password or "x")  # same cost whether or not the account exists
        raise LoginFailed
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed
    if not auth.verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_LOGIN_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        session.flush()
        raise LoginFailed
    user.failed_logins = 0
    user.locked_until = None
    return user


# -- sessions -------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: CitizenUser, now: datetime) -> str:
    """A new session for ``user``; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        CitizenSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.flush()
    return token


def session_user(session: Session, token: str, now: datetime) -> CitizenUser | None:
    """The account signed in with ``token``, or None (unknown, expired or revoked). A
    session used after half its idle time gets its expiry pushed forward."""
    row = session.get(CitizenSession, _token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.expires_at - now < SESSION_TTL / 2:
        row.expires_at = min(now + SESSION_TTL, row.created_at + SESSION_MAX)
        session.flush()
    return session.get(CitizenUser, row.user_id)


def end_session(session: Session, token: str, now: datetime) -> None:
    row = session.get(CitizenSession, _token_hash(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def revoke_sessions(session: Session, user: CitizenUser, now: datetime) -> int:
    result = session.execute(
        update(CitizenSession)
        .where(CitizenSession.user_id == user.id, CitizenSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# -- real-name binding ----------------------------------------------------------------------


def bind_real_name(
    session: Session, user: CitizenUser, name: str, certno: str, now: datetime
) -> Person:
    """Bind the account to the enrolled person with this 姓名 and 身份证号.

    Raises :class:`InvalidInput` for a malformed 身份证号, :class:`BindingMismatch` when no
    enrolment record matches (the failure is counted), and :class:`InvalidInput` if the
    person is already bound to another account.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("请填写姓名", field="name")
    try:
        card = parse_certno(certno.strip().upper(), today=now.date())
    except IdCardError as exc:
        raise InvalidInput(str(exc), field="certno") from None
    person = persons.find_by_certno(session, card.number)
    if person is None or person.name != name:
        user.binding_failures += 1
        session.flush()
        region = person.region if person is not None else card.number[:6]
        field = "certno" if person is None else "name"
        message = "未查到该身份证号的参保登记" if person is None else "姓名与参保登记的信息不一致"
        raise BindingMismatch(field, message, BINDING_CHECKS, agencies.for_region(region))
    taken = session.scalar(
        select(func.count())
        .select_from(CitizenUser)
        .where(CitizenUser.person_id == person.id, CitizenUser.id != user.id)
    )
    if taken:
        raise InvalidInput(
            "该身份已绑定另一个手机号。如非本人操作，请联系经办机构或用原手机号找回密码",
            field="certno",
        )
    user.person_id = person.id
    user.bound_at = now
    session.flush()
    return person


# -- passwords ------------------------------------------------------------------------------


def change_password(
    session: Session, user: CitizenUser, old: str, new: str, confirm: str, now: datetime
) -> None:
    """Change the password and sign out every session of the account."""
    if not auth.verify_password(user.password_hash, old):
        raise InvalidInput("原密码不正确", field="old_password")
    check_new_password(new, confirm)
    _set_password(session, user, new, now)


def _set_password(session: Session, user: CitizenUser, password: str, now: datetime) -> None:
    user.password_hash = auth.hash_password(password)
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    revoke_sessions(session, user, now)


def _code_hash(phone: str, code: str) -> str:
    key = _crypto(None).lookup_hash(phone, purpose="sms-code")
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


def send_reset_code(session: Session, raw_phone: str, now: datetime, sender: SmsSender) -> None:
    """Send a 6-digit reset code to a registered phone. At most one a minute and five an hour
    per phone number; an unknown number is refused with the same rate limits and no code, so
    the page's answer does not tell whether a number is registered."""
    phone = normalize_phone(raw_phone)
    digest = phone_hash(phone)
    recent = session.scalars(
        select(VerificationCode.created_at).where(
            VerificationCode.phone_hash == digest,
            VerificationCode.created_at > now - timedelta(hours=1),
        )
    ).all()
    if any(t > now - CODE_INTERVAL for t in recent):
        raise InvalidInput("验证码发送过于频繁，请 1 分钟后再试", field="phone")
    if len(recent) >= CODES_PER_HOUR:
        raise InvalidInput("该手机号 1 小时内获取验证码次数过多，请稍后再试", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        VerificationCode(
            phone_hash=digest,
            purpose="reset",
            code_hash=_code_hash(phone, code),
            created_at=now,
            expires_at=now + CODE_TTL,
            wrong_entries=0,
        )
    )
    session.flush()
    if find_by_phone(session, phone) is not None:
        sender.send_code(phone, code, "找回密码")


def reset_password(
    session: Session, raw_phone: str, code: str, new: str, confirm: str, now: datetime
) -> CitizenUser:
    """Set a new password with the newest unexpired code; five wrong entries void the code."""
    phone = normalize_phone(raw_phone)
    row = session.scalars(
        select(VerificationCode)
        .where(
            VerificationCode.phone_hash == phone_hash(phone),
            VerificationCode.purpose == "reset",
            VerificationCode.used_at.is_(None),
        )
        .order_by(VerificationCode.id.desc())
        .limit(1)
    ).first()
    user = find_by_phone(session, phone)
    if (
        row is None
        or row.expires_at <= now
        or row.wrong_entries >= MAX_CODE_ENTRIES
        or user is None
    ):
        raise InvalidInput("验证码已失效，请重新获取", field="code")
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, code.strip())):
        row.wrong_entries += 1
        session.flush()
        left = MAX_CODE_ENTRIES - row.wrong_entries
        raise InvalidInput(
            f"验证码不正确，还可输入 {left} 次" if left else "验证码错误次数过多，请重新获取",
            field="code",
        )
    check_new_password(new, confirm)
    row.used_at = now
    _set_password(session, user, new, now)
    return user
