"""经办人员: add staff, sign them in with password and TOTP (动态口令), enrol the second
factor, change the password. Roles: reviewer 审核员, payer 支付, admin 管理员.

A new member gets a one-time initial password; the first sign-in must replace it and enrol
TOTP before anything else. Five failures in a row lock the account for 15 minutes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from yibao.domain.shown import shown
from yibao.persistence.tables import StaffMember, StaffRegion, StaffSession
from yibao.persistence.tables.staff import ROLES
from yibao.services import audit, auth
from yibao.services.auth import COMMON, MAX_PASSWORD, MIN_PASSWORD
from yibao.services.crypto import FieldCrypto, default_crypto
from yibao.services.errors import Conflict, InvalidInput

ROLE_LABELS = {"reviewer": "审核员", "payer": "支付", "admin": "管理员"}
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,39}$")
REGION_RE = re.compile(r"^\d{2}(\d{2}){0,2}$")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
TOTP_ISSUER = "yibao 经办管理"
_TOTP_PURPOSE = "staff-totp"


class StaffLoginFailed(Exception):
    """Wrong user name, password or code, or the account is locked: one message for all."""


def _crypto(crypto: FieldCrypto | None) -> FieldCrypto:
    return crypto or default_crypto()


def check_password_strength(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"密码长度应为 {MIN_PASSWORD}–{MAX_PASSWORD} 位", field=field)
    if password.lower() in COMMON or len(set(password)) < 4:
        raise InvalidInput("密码过于简单，请换一个", field=field)


def regions_of(session: Session, member: StaffMember) -> tuple[str, ...]:
    """The member's regions; empty means every region."""
    rows = session.scalars(
        select(StaffRegion.region)
        .where(StaffRegion.staff_id == member.id)
        .order_by(StaffRegion.region)
    )
    return tuple(rows)


def region_visible(regions: Iterable[str], region: str | None) -> bool:
    """Whether a record of ``region`` is visible to staff limited to ``regions`` (prefixes)."""
    limits = tuple(regions)
    if not limits:
        return True
    return region is not None and any(region.startswith(r) for r in limits)


@dataclass(frozen=True, slots=True)
class NewStaff:
    member: StaffMember
    initial_password: str


def add_staff(
    session: Session,
    username: str,
    role: str,
    regions: Iterable[str] = (),
    *,
    actor: audit.Actor = audit.COMMAND_LINE,
) -> NewStaff:
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "用户名应为 3–40 位小写字母、数字、点、下划线或连字符，以字母开头", field="username"
        )
    if role not in ROLES:
        raise InvalidInput(f"角色应为 {'、'.join(ROLES)} 之一", field="role")
    region_list = sorted({r.strip() for r in regions if r.strip()})
    for r in region_list:
        if not REGION_RE.match(r):
            raise InvalidInput(f"地区代码 {shown(r)} 应为 2、4 或 6 位数字", field="region")
    if session.scalar(select(StaffMember.id).where(StaffMember.username == username)):
        raise Conflict(f"用户名 {username} 已存在", field="username")
    initial = secrets.token_urlsafe(12)
    member = StaffMember(
        username=username,
        role=role,
        password_hash=auth.hash_password(initial),
        must_change_password=True,
        totp_enrolled=False,
        totp_last_step=0,
        failed_attempts=0,
        active=True,
    )
    session.add(member)
    session.flush()
    for r in region_list:
        session.add(StaffRegion(staff_id=member.id, region=r))
    audit.record(
        session,
        actor,
        "staff.add",
        "staff",
        member.id,
        after={"username": username, "role": role, "regions": region_list},
    )
    return NewStaff(member, initial)


def find(session: Session, username: str) -> StaffMember | None:
    return session.scalar(select(StaffMember).where(StaffMember.username == username))


def _matches(digest: str, password: str) -> bool:
    return auth.verify_password(digest, password)


def _totp_step(member: StaffMember, code: str, now: datetime, crypto: FieldCrypto) -> int | None:
    """The time step of a valid code for now (±1 step) newer than the last accepted one, or
    None. The step is claimed when the sign-in is recorded, so a code is used once."""
    if member.totp_secret is None or not re.fullmatch(r"\d{6}", code or ""):
        return None
    totp = pyotp.TOTP(crypto.decrypt(member.totp_secret, purpose=_TOTP_PURPOSE))
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if candidate > member.totp_last_step and secrets.compare_digest(
            totp.generate_otp(candidate), code
        ):
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the password and the code said, before anything is written."""

    member_id: int | None  # None: no such active member (nothing to count)
    ok: bool
    counts: bool  # a failure to count (not when the account is locked already)
    totp_step: int | None = None


def check_login(
    member: StaffMember | None,
    password: str,
    code: str,
    now: datetime,
    *,
    crypto: FieldCrypto | None = None,
) -> Verdict:
    """argon2 and TOTP, touching no database: call it outside any transaction, so that no
    lock is held while the password is hashed. A member who has enrolled TOTP must give a
    valid code; one who has not (first sign-in) signs in with the password alone."""
    if member is None or not member.active:
        auth.equalise_timing(password)  # same cost whether or not the member exists
        return Verdict(None, ok=False, counts=False)
    if member.locked_until is not None and member.locked_until > now:
        auth.equalise_timing(password)
        return Verdict(member.id, ok=False, counts=False)
    if not _matches(member.password_hash, password):
        return Verdict(member.id, ok=False, counts=True)
    if not member.totp_enrolled:
        return Verdict(member.id, ok=True, counts=False)
    step = _totp_step(member, code, now, _crypto(crypto))
    return Verdict(member.id, ok=step is not None, counts=step is None, totp_step=step)


def record_login(session: Session, verdict: Verdict, now: datetime) -> StaffMember:
    """Write what :func:`check_login` found, atomically, and return the member or raise
    :class:`StaffLoginFailed`. A failure is one conditional UPDATE (parallel failures each
    count; the 5th locks); a success clears the count and claims the code's step only if the
    account is not locked meanwhile and the step was not used by a parallel sign-in."""
    m = StaffMember
    if verdict.member_id is None:
        raise StaffLoginFailed
    if not verdict.ok:
        if verdict.counts:
            reaches = m.failed_attempts + 1 >= MAX_FAILURES
            locked = session.execute(
                update(m)
                .where(m.id == verdict.member_id)
                .values(
                    failed_attempts=case((reaches, 0), else_=m.failed_attempts + 1),
                    locked_until=case((reaches, now + LOCKOUT), else_=m.locked_until),
                )
                .returning(m.failed_attempts == 0)
                .execution_options(synchronize_session=False)
            ).scalar()
            if locked:
                audit.record(
                    session,
                    audit.SYSTEM,
                    "staff.lock",
                    "staff",
                    verdict.member_id,
                    after={"until": now + LOCKOUT},
                )
        raise StaffLoginFailed
    query = update(m).where(
        m.id == verdict.member_id, or_(m.locked_until.is_(None), m.locked_until <= now)
    )
    values: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
    if verdict.totp_step is not None:
        query = query.where(m.totp_last_step < verdict.totp_step)
        values["totp_last_step"] = verdict.totp_step
    claimed = session.execute(
        query.values(**values).returning(m.id).execution_options(synchronize_session=False)
    ).first()
    member = session.get(m, verdict.member_id, populate_existing=True)
    if claimed is None or member is None:
        raise StaffLoginFailed
    return member


def needs_setup(member: StaffMember) -> bool:
    return member.must_change_password or not member.totp_enrolled


def change_password(
    session: Session, member: StaffMember, new: str, confirm: str, actor: audit.Actor
) -> None:
    """Set a new password (the caller revokes the other sessions)."""
    check_password_strength(new, "new_password")
    if new != confirm:
        raise InvalidInput("两次输入的密码不一致", field="confirm_password")
    if _matches(member.password_hash, new):
        raise InvalidInput("新密码不能与原密码相同", field="new_password")
    member.password_hash = auth.hash_password(new)
    member.must_change_password = False
    audit.record(session, actor, "staff.password", "staff", member.id)


def start_enrolment(
    session: Session, member: StaffMember, *, crypto: FieldCrypto | None = None
) -> str:
    """A fresh TOTP secret (base32) stored encrypted, pending confirmation by a code."""
    if member.totp_enrolled:
        raise InvalidInput("已绑定动态口令", field="totp")
    secret = pyotp.random_base32()
    member.totp_secret = _crypto(crypto).encrypt(secret, purpose=_TOTP_PURPOSE)
    member.totp_last_step = 0
    session.flush()
    return secret


def pending_secret(member: StaffMember, *, crypto: FieldCrypto | None = None) -> str | None:
    if member.totp_secret is None or member.totp_enrolled:
        return None
    return _crypto(crypto).decrypt(member.totp_secret, purpose=_TOTP_PURPOSE)


def provisioning_uri(member: StaffMember, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=member.username, issuer_name=TOTP_ISSUER)


def confirm_enrolment(
    session: Session,
    member: StaffMember,
    code: str,
    now: datetime,
    actor: audit.Actor,
    *,
    crypto: FieldCrypto | None = None,
) -> None:
    if member.totp_enrolled or member.totp_secret is None:
        raise InvalidInput("请先打开绑定页面获取密钥", field="totp")
    step = _totp_step(member, code.strip(), now, _crypto(crypto))
    if step is None:
        raise InvalidInput("动态口令不正确，请核对手机时间后重试", field="totp")
    member.totp_last_step = step
    member.totp_enrolled = True
    audit.record(session, actor, "staff.totp_enrol", "staff", member.id)


def reset(session: Session, member: StaffMember, actor: audit.Actor, now: datetime) -> str:
    """A new one-time password; the second factor must be enrolled again. Revokes sessions."""
    initial = secrets.token_urlsafe(12)
    member.password_hash = auth.hash_password(initial)
    member.must_change_password = True
    member.totp_enrolled = False
    member.totp_secret = None
    member.totp_last_step = 0
    member.failed_attempts = 0
    member.locked_until = None
    revoke_all(session, member, now)
    audit.record(session, actor, "staff.reset", "staff", member.id)
    return initial


def set_active(
    session: Session, member: StaffMember, active: bool, actor: audit.Actor, now: datetime
) -> None:
    before = member.active
    member.active = active
    if not active:
        revoke_all(session, member, now)
    audit.record(
        session,
        actor,
        "staff.activate" if active else "staff.deactivate",
        "staff",
        member.id,
        before={"active": before},
        after={"active": active},
    )


def revoke_all(
    session: Session, member: StaffMember, now: datetime, *, keep: str | None = None
) -> None:
    for s in session.scalars(
        select(StaffSession).where(
            StaffSession.staff_id == member.id, StaffSession.revoked_at.is_(None)
        )
    ):
        if s.token_hash != keep:
            s.revoked_at = now


def list_staff(session: Session) -> list[StaffMember]:
    return list(session.scalars(select(StaffMember).order_by(StaffMember.username)))
