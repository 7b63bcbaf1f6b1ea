"""定点医药机构 (designated institutions) and their API keys.

A key is ``yb_`` + 40 URL-safe characters, shown once. Only an argon2 hash is stored, with
the key's first 12 characters (``prefix``) in a unique column to find the row. A verified key
is remembered in-process (sha256 of the key → key row id), so repeated requests cost one
indexed lookup and no argon2; a revoked key stops working at once (the row is re-read).
``yibao institution rotate-key`` relies on this: every server process refuses the old key on
its next request. A cache that skipped the re-read would have to expire within a few seconds
(and ``tests/integration/test_cli_new_user.py`` would need a wait of that length).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from datetime import date
from decimal import Decimal, InvalidOperation

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from yibao.domain.shown import shown
from yibao.persistence.base import utcnow
from yibao.persistence.db import sql
from yibao.persistence.tables import ApiKey, Institution
from yibao.services.errors import Conflict, InvalidInput

CODE_RE = re.compile(r"^[HP]\d{11}$")
REGION_RE = re.compile(r"^\d{6}$")
TYPES = {"hospital": "H", "pharmacy": "P"}
TYPE_LABELS = {"hospital": "医院", "pharmacy": "药店"}
GRADES = ("甲", "乙")
KEY_PREFIX = "yb_"
KEY_LOOKUP_CHARS = 12

# Keys are 240-bit random strings, so argon2 guards a leaked table, not weak secrets:
# the OWASP minimum profile (19 MiB, t=2) is enough and keeps key creation quick.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_verified: dict[str, int] = {}
_verified_lock = threading.Lock()
_VERIFIED_MAX = 10_000


def _code_in_region(code: str, region: str) -> bool:
    """The 6 digits after the letter are the region, or a county inside a city-level region."""
    admdvs = code[1:7]
    if admdvs == region:
        return True
    return region.endswith("00") and admdvs[:4] == region[:4]


def _decimal(value: Decimal | str | None, field: str, lo: int, hi: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"应为数字，实际为 {shown(value)}", field=field) from None
    if not d.is_finite() or not lo <= d <= hi:
        raise InvalidInput(f"应在 {lo} 到 {hi} 之间", field=field)
    return d.quantize(Decimal("0.000001"))


def create_institution(
    session: Session,
    *,
    code: str,
    name: str,
    type: str,
    region: str,
    level: int | None = None,
    grade: str | None = None,
    address: str | None = None,
    lat: Decimal | str | None = None,
    lon: Decimal | str | None = None,
    designated_begin: date | None = None,
    designated_end: date | None = None,
    cross_province: bool = False,
    demo: bool = False,
) -> Institution:
    """Register an institution; :class:`InvalidInput` names the field at fault."""
    code = code.strip().upper()
    if type not in TYPES:
        raise InvalidInput("机构类型应为 hospital（医院）或 pharmacy（药店）", field="type")
    if not REGION_RE.match(region):
        raise InvalidInput("医保区划应为 6 位数字（如 150100）", field="region")
    if not CODE_RE.match(code):
        raise InvalidInput("机构编码应为 H（医院）或 P（药店）加 11 位数字", field="code")
    if code[0] != TYPES[type]:
        raise InvalidInput(f"{TYPE_LABELS[type]}的机构编码应以 {TYPES[type]} 开头", field="code")
    if not _code_in_region(code, region):
        raise InvalidInput(
            f"机构编码第 2–7 位应为所在医保区划 {region}（或其下辖区县），实际为 {code[1:7]}",
            field="code",
        )
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("机构名称不能为空，且不超过 100 个字", field="name")
    if level is not None and level not in (1, 2, 3):
        raise InvalidInput("医院等级应为 1、2 或 3", field="level")
    if type == "hospital" and level is None:
        raise InvalidInput("医院必须给出等级（1、2 或 3）", field="level")
    if grade is not None and grade not in GRADES:
        raise InvalidInput("等次应为 甲 或 乙", field="grade")
    if (lat is None) != (lon is None):
        raise InvalidInput("经度和纬度应同时给出", field="lat" if lat is None else "lon")
    begin = designated_begin or date.today()
    if designated_end is not None and designated_end < begin:
        raise InvalidInput("定点结束日期早于开始日期", field="designated_end")
    if session.scalar(select(Institution.id).where(Institution.code == code)) is not None:
        raise Conflict(f"机构编码 {code} 已存在", field="code")
    inst = Institution(
        code=code,
        name=name,
        type=type,
        level=level,
        grade=grade,
        region=region,
        address=(address or "").strip() or None,
        lat=_decimal(lat, "lat", -90, 90),
        lon=_decimal(lon, "lon", -180, 180),
        designated_begin=begin,
        designated_end=designated_end,
        cross_province=cross_province,
        demo=demo,
    )
    session.add(inst)
    session.flush()
    return inst


def get_by_code(session: Session, code: str) -> Institution | None:
    return session.scalars(
        select(Institution).where(Institution.code == code.strip().upper())
    ).one_or_none()


def is_designated_on(institution: Institution, on: date) -> bool:
    """Within its designated (定点) period on ``on``."""
    return institution.designated_begin <= on and (
        institution.designated_end is None or on <= institution.designated_end
    )


def create_api_key(session: Session, institution: Institution) -> str:
    """A new API key for ``institution``. Returned once; only its hash is kept."""
    while True:
        key = KEY_PREFIX + secrets.token_urlsafe(30)  # 3 + 40 characters
        prefix = key[:KEY_LOOKUP_CHARS]
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            break
    session.add(ApiKey(institution_id=institution.id, prefix=prefix, key_hash=_hasher.hash(key)))
    session.flush()
    return key


def revoke_api_keys(session: Session, institution: Institution) -> int:
    """Revoke every active key of the institution; returns how many."""
    keys = session.scalars(
        select(ApiKey).where(ApiKey.institution_id == institution.id, ApiKey.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for k in keys:
        k.revoked_at = now
    session.flush()
    return len(keys)


def authenticate(session: Session, key: str) -> Institution | None:
    """The institution owning ``key``, or None (unknown, malformed or revoked key)."""
    found = authenticate_key(session, key)
    return None if found is None else found[0]


_KEY_SQL = """
SELECT id, institution_id, key_hash FROM api_keys WHERE prefix = :prefix AND revoked_at IS NULL"""
_key_owners: dict[str, tuple[int, int]] = {}  # sha256 of a verified key -> (key id, institution id)


def key_of(conn: Connection, key: str) -> tuple[int, int] | None:
    """The row id and institution id of ``key`` (argon2-verified once per process), or
    None. For the hot path, which re-reads the key's revocation and its institution in its
    own transaction on every message."""
    if not key.startswith(KEY_PREFIX) or len(key) != len(KEY_PREFIX) + 40:
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()
    known = _key_owners.get(digest)
    if known is not None:
        return known
    found = sql(conn, _KEY_SQL, {"prefix": key[:KEY_LOOKUP_CHARS]})
    if not found:
        return None
    key_id, institution_id, key_hash = found[0]
    try:
        _hasher.verify(key_hash, key)
    except (VerificationError, InvalidHashError):
        return None
    with _verified_lock:
        if len(_key_owners) >= _VERIFIED_MAX:
            _key_owners.clear()
        _key_owners[digest] = (int(key_id), int(institution_id))
    return int(key_id), int(institution_id)


def authenticate_key(session: Session, key: str) -> tuple[Institution, int] | None:
    """The institution owning ``key`` and the key's row id, or None."""
    if not key.startswith(KEY_PREFIX) or len(key) != len(KEY_PREFIX) + 40:
        return None
    row = session.execute(
        select(ApiKey, Institution)
        .join(Institution, Institution.id == ApiKey.institution_id)
        .where(ApiKey.prefix == key[:KEY_LOOKUP_CHARS], ApiKey.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        return None
    api_key, institution = row
    digest = hashlib.sha256(key.encode()).hexdigest()
    if _verified.get(digest) == api_key.id:
        return institution, api_key.id
    try:
        _hasher.verify(api_key.key_hash, key)
    except (VerificationError, InvalidHashError):
        return None
    with _verified_lock:
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[digest] = api_key.id
    return institution, api_key.id
