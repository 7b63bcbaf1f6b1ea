"""参保人 (insured persons): enrol, look up, mask, enrolment periods.

The ID number is stored only as AES-GCM ciphertext plus a keyed HMAC for lookup; sex and
birth date are derived from it. Display always uses :func:`masked_certno` /
:func:`masked_phone`; :func:`certno_of` (clear text) is for the person's own verified view.

Code mapping toward the national interface (spec §3.1, §3.2):

============  =========  ========  =====================================================
scheme        group      insutype  psn_type
============  =========  ========  =====================================================
employee      in_service 310       1101 职工在职
employee      retired    310       1201 职工退休
resident      adult      390       1501 普通居民（成年）
resident      minor      390       1403 中小学生 (our "minor": under-18 residents)
resident      student    390       1404 大学生 (our "student": college students)
============  =========  ========  =====================================================
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from yibao.domain.idcard import IdCardError, mask_certno, mask_phone, parse_certno
from yibao.domain.shown import shown
from yibao.persistence.tables import Enrolment, Person
from yibao.rules import default_registry
from yibao.rules.policy import Policy
from yibao.services import ledger
from yibao.services.crypto import FieldCrypto, default_crypto
from yibao.services.errors import Conflict, InvalidInput

INSUTYPE_BY_SCHEME = {"employee": "310", "resident": "390"}
PSN_TYPE_BY_GROUP = {
    "in_service": "1101",
    "retired": "1201",
    "adult": "1501",
    "minor": "1403",
    "student": "1404",
}
ENROLMENT_STATUSES = ("active", "paused", "ended")
REGION_RE = re.compile(r"^\d{6}$")
HOSPITAL_CODE_RE = re.compile(r"^H\d{11}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")

_CERTNO = "certno"
_PHONE = "phone"


def _crypto(crypto: FieldCrypto | None) -> FieldCrypto:
    return crypto if crypto is not None else default_crypto()


def policy_or_error(policy_id: str) -> Policy:
    registry = default_registry()
    policy = registry.get(policy_id)
    if policy is None:
        raise InvalidInput(
            f"未知的医保政策 {shown(policy_id)}，可选：{'、'.join(registry.ids())}", field="policy"
        )
    return policy


def policy_groups(policy: Policy) -> tuple[str, ...]:
    """Every person group any version of the policy knows, in first-seen order."""
    seen: dict[str, None] = {}
    for version in policy.versions:
        seen.update(dict.fromkeys(version.groups))
    return tuple(seen)


def has_personal_account(policy: Policy) -> bool:
    return policy.versions[-1].personal_account


def _region_fits(policy_region: str, region: str) -> bool:
    prefix = policy_region.rstrip("0")
    if len(prefix) % 2:
        prefix += "0"
    return region.startswith(prefix)


def create_person(
    session: Session,
    *,
    name: str,
    certno: str,
    policy_id: str,
    group: str,
    region: str,
    since: date | None = None,
    phone: str | None = None,
    first_visit_hospital: str | None = None,
    continuous_years: int = 0,
    demo: bool = False,
    crypto: FieldCrypto | None = None,
) -> Person:
    """Enrol a new person (with an active enrolment from ``since``, default today).

    Raises :class:`InvalidInput` naming the field, or :class:`Conflict` if the ID number is
    already enrolled. Employee schemes with a personal account get a ledger account.
    """
    fc = _crypto(crypto)
    name = name.strip()
    if not name or len(name) > 50:
        raise InvalidInput("姓名不能为空，且不超过 50 个字", field="name")
    try:
        card = parse_certno(certno)
    except IdCardError as exc:
        raise InvalidInput(str(exc), field="certno") from None
    policy = policy_or_error(policy_id)
    groups = policy_groups(policy)
    if group not in groups:
        raise InvalidInput(
            f"政策 {policy_id} 的人员类别应为：{'、'.join(groups)}，而不是 {shown(group)}",
            field="group",
        )
    if not REGION_RE.match(region):
        raise InvalidInput("医保区划应为 6 位数字（如 150100）", field="region")
    if not _region_fits(policy.region, region):
        raise InvalidInput(
            f"医保区划 {region} 不在政策 {policy_id} 的统筹区（{policy.region}）内", field="region"
        )
    since = since or date.today()
    if since < card.birth_date:
        raise InvalidInput("参保开始日期早于出生日期", field="since")
    if phone is not None and not PHONE_RE.match(phone):
        raise InvalidInput("手机号应为 11 位数字，以 1 开头", field="phone")
    if first_visit_hospital is not None:
        if policy.scheme != "resident":
            raise InvalidInput("只有居民医保需要首诊医院", field="first_visit_hospital")
        if not HOSPITAL_CODE_RE.match(first_visit_hospital):
            raise InvalidInput(
                "首诊医院编码应为 H 加 11 位数字（如 H14010500001）", field="first_visit_hospital"
            )
    if continuous_years < 0 or continuous_years > 100:
        raise InvalidInput("连续缴费年限应在 0 到 100 之间", field="continuous_years")

    certno_hash = fc.lookup_hash(card.number, purpose=_CERTNO)
    if session.scalar(select(Person.id).where(Person.certno_hash == certno_hash)) is not None:
        raise Conflict("该身份证号已登记参保", field="certno")

    person = Person(
        psn_no=_new_psn_no(session, region),
        name=name,
        certno_ciphertext=fc.encrypt(card.number, purpose=_CERTNO),
        certno_hash=certno_hash,
        sex=card.sex,
        birth_date=card.birth_date,
        phone_ciphertext=None if phone is None else fc.encrypt(phone, purpose=_PHONE),
        region=region,
        scheme=policy.scheme,
        policy_id=policy.id,
        person_group=group,
        first_visit_hospital=first_visit_hospital,
        continuous_years=continuous_years,
        demo=demo,
    )
    person.enrolments.append(Enrolment(begin=since, status="active"))
    session.add(person)
    session.flush()
    if has_personal_account(policy):
        ledger.open_person_account(session, person)
    return person


def _new_psn_no(session: Session, region: str) -> str:
    """Region (6) + 14 random digits = 20 digits, unique."""
    for _ in range(10):
        psn_no = region + f"{secrets.randbelow(10**14):014d}"
        if session.scalar(select(Person.id).where(Person.psn_no == psn_no)) is None:
            return psn_no
    raise RuntimeError("could not allocate a unique psn_no")  # pragma: no cover


def find_by_certno(
    session: Session, certno: str, *, crypto: FieldCrypto | None = None
) -> Person | None:
    """The person with this ID number (exact, via the keyed hash), or None."""
    return find_by_certno_hash(session, certno_hash(certno, crypto=crypto))


def find_by_certno_hash(session: Session, digest: str) -> Person | None:
    return session.scalars(select(Person).where(Person.certno_hash == digest)).one_or_none()


def certno_hash(certno: str, *, crypto: FieldCrypto | None = None) -> str:
    """The keyed hash that finds a person by ID number (``persons.certno_hash``)."""
    number = certno.strip().replace(" ", "").upper()
    return _crypto(crypto).lookup_hash(number, purpose=_CERTNO)


def get_by_psn_no(session: Session, psn_no: str) -> Person | None:
    return session.scalars(select(Person).where(Person.psn_no == psn_no)).one_or_none()


def certno_of(person: Person, *, crypto: FieldCrypto | None = None) -> str:
    """The clear ID number: only for the person's own verified view."""
    return _crypto(crypto).decrypt(person.certno_ciphertext, purpose=_CERTNO)


def masked_certno(person: Person, *, crypto: FieldCrypto | None = None) -> str:
    return mask_certno(certno_of(person, crypto=crypto))


def masked_phone(person: Person, *, crypto: FieldCrypto | None = None) -> str | None:
    if person.phone_ciphertext is None:
        return None
    return mask_phone(_crypto(crypto).decrypt(person.phone_ciphertext, purpose=_PHONE))


def age_on(person: Person, on: date) -> int:
    b = person.birth_date
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def insutype(person: Person) -> str:
    """National ``insutype``: 310 employee basic, 390 resident basic."""
    return INSUTYPE_BY_SCHEME[person.scheme]


def psn_type(person: Person) -> str:
    """National ``psn_type`` for the person's group (see the table in this module's doc)."""
    return PSN_TYPE_BY_GROUP[person.person_group]


def enrolment_on(session: Session, person: Person, on: date) -> Enrolment | None:
    """The active enrolment covering ``on``, or None (not enrolled, paused, ended, or dead)."""
    if person.death_date is not None and on > person.death_date:
        return None
    return session.scalars(
        select(Enrolment)
        .where(
            Enrolment.person_id == person.id,
            Enrolment.status == "active",
            Enrolment.begin <= on,
            or_(Enrolment.end.is_(None), Enrolment.end >= on),
        )
        .order_by(Enrolment.begin.desc())
        .limit(1)
    ).first()


def change_enrolment(session: Session, person: Person, on: date, status: str) -> Enrolment:
    """Close the open period the day before ``on`` and open a new one with ``status``
    (``paused``/``ended``/``active``). Periods are never edited otherwise."""
    if status not in ENROLMENT_STATUSES:
        raise InvalidInput(f"参保状态应为 {'、'.join(ENROLMENT_STATUSES)}", field="status")
    current = session.scalars(
        select(Enrolment).where(
            Enrolment.person_id == person.id,
            Enrolment.begin <= on,
            or_(Enrolment.end.is_(None), and_(Enrolment.end >= on)),
        )
    ).first()
    if current is not None:
        if current.status == status:
            return current
        if current.begin == on:
            raise InvalidInput("同一天不能两次变更参保状态", field="on")
        current.end = date.fromordinal(on.toordinal() - 1)
    new = Enrolment(begin=on, status=status)
    person.enrolments.append(new)
    session.flush()
    return new


def record_death(session: Session, person: Person, on: date) -> None:
    """Record the date of death and end enrolment from the next day."""
    person.death_date = on
    change_enrolment(session, person, date.fromordinal(on.toordinal() + 1), "ended")
