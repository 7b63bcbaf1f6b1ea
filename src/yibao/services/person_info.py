"""What 1101 (人员信息获取) reads about a person, as plain SQL sent in one round trip.

The person is found by the keyed hash of the ID number (credentials 02 and 03) or by the
person number (an e-voucher, 01). Every statement names the person by that key through a
join, so none needs the result of another: :func:`add_reads` queues them behind the
message's own statements (the key check and the msgid claim) and :func:`loaded` turns the
rows into what the answer shows. Nothing is cached across messages: a lost card, a changed
enrolment or balance, a new filing or certification shows on the next message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from yibao.persistence.base import detached
from yibao.persistence.db import Batch, Rows, bind_date, read_date, read_time
from yibao.persistence.tables import Person
from yibao.services.application_effects import Standing, chronic_standing, filing_standing

# the person key: one of these two columns (a fixed choice, never caller text)
BY_CERTNO = "certno_hash"
BY_PSN_NO = "psn_no"

_PERSON_SQL = """
SELECT p.id, p.psn_no, p.name, p.certno_ciphertext, p.sex, p.birth_date, p.region,
       p.scheme, p.policy_id, p.person_group, p.death_date, p.card_lost_at, a.balance_fen
FROM persons p LEFT JOIN accounts a ON a.person_id = p.id WHERE p.{key} = :key"""
_ENROLMENTS_SQL = """
SELECT e."begin", e."end", e.status FROM enrolments e JOIN persons p ON p.id = e.person_id
WHERE p.{key} = :key ORDER BY e."begin" DESC"""
# approved filings and chronic certifications in force, in one statement: (kind, id, type or
# class, region or disease code, hospital or disease name, begin, end)
_STANDING_SQL = """
SELECT 'filing', f.id, f.filing_type, f.destination_region, f.institution_code, f."begin",
       f."end"
FROM cross_region_filings f JOIN persons p ON p.id = f.person_id
WHERE p.{key} = :key AND f."begin" <= :on AND (f."end" IS NULL OR f."end" >= :on)
UNION ALL
SELECT 'chronic', c.id, c.chronic_class, c.disease_code, c.disease_name, c."begin", c."end"
FROM chronic_certifications c JOIN persons p ON p.id = c.person_id
WHERE p.{key} = :key AND c."begin" <= :on AND c."end" >= :on"""
_READS = (_PERSON_SQL, _ENROLMENTS_SQL, _STANDING_SQL)
_STATEMENTS = {
    key: tuple(statement.format(key=key) for statement in _READS) for key in (BY_CERTNO, BY_PSN_NO)
}


@dataclass(frozen=True, slots=True)
class PersonInfo:
    """The person with their enrolment on the day, their latest enrolment period, the
    account balance (fen; 0 without an account) and their filings and certifications in
    force (:class:`Standing`, filings newest first, then certifications)."""

    person: Person
    enrolled: bool
    last_begin: date | None
    last_end: date | None
    balance_fen: int
    standing: list[Standing]


def add_reads(batch: Batch, key: str, value: str, on: date) -> None:
    """Queue the three reads of the person whose ``key`` column (:data:`BY_CERTNO` or
    :data:`BY_PSN_NO`) is ``value``, as of ``on``."""
    params = {"key": value, "on": bind_date(batch.conn, on)}
    for statement in _STATEMENTS[key]:
        batch.add(statement, params)


def _day(value: object) -> date:
    day = read_date(value)
    assert day is not None
    return day


def loaded(rows: list[Rows], on: date) -> PersonInfo | None:
    """What :func:`add_reads` read (None: no such person)."""
    person_rows, enrolment_rows, standing_rows = rows[:3]
    if not person_rows:
        return None
    pid, psn_no, name, cipher, sex, birth, region, scheme, policy, group, death, lost, balance = (
        person_rows[0]
    )
    person = detached(
        Person,
        id=pid,
        psn_no=psn_no,
        name=name,
        certno_ciphertext=bytes(cipher),
        sex=sex,
        birth_date=read_date(birth),
        region=region,
        scheme=scheme,
        policy_id=policy,
        person_group=group,
        death_date=read_date(death),
        card_lost_at=read_time(lost),
    )
    periods = [(read_date(b), read_date(e), status) for b, e, status in enrolment_rows]
    alive = person.death_date is None or on <= person.death_date
    enrolled = alive and any(
        status == "active" and b is not None and b <= on and (e is None or e >= on)
        for b, e, status in periods
    )
    last_begin, last_end = (periods[0][0], periods[0][1]) if periods else (None, None)
    filings = sorted((r for r in standing_rows if r[0] == "filing"), key=lambda r: -int(r[1]))
    chronic = sorted((r for r in standing_rows if r[0] == "chronic"), key=lambda r: int(r[1]))
    standing = [filing_standing(t, d, h, _day(b), read_date(e)) for _, _, t, d, h, b, e in filings]
    standing += [
        chronic_standing(c, code, n, _day(b), read_date(e)) for _, _, c, code, n, b, e in chronic
    ]
    return PersonInfo(
        person=person,
        enrolled=enrolled,
        last_begin=last_begin,
        last_end=last_end,
        balance_fen=int(balance or 0),
        standing=standing,
    )


__all__ = ["BY_CERTNO", "BY_PSN_NO", "PersonInfo", "add_reads", "loaded"]
