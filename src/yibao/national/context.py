"""What a transaction handler gets: the open session, the calling institution, the envelope."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from yibao.national import fields, jsonout
from yibao.national.envelope import Envelope, InterfaceError, response
from yibao.persistence.base import detached
from yibao.persistence.db import Batch, Rows, bind_time, read_date
from yibao.persistence.tables import Institution, Person
from yibao.persistence.tables.hospital import Visit
from yibao.services import clock, persons


class DateChecks:
    """The designation and enrolment checks of a transaction, shared by :class:`Context`
    and the hot path's :class:`Counter` (which differ only in how enrolment is read)."""

    institution: Institution
    now: datetime

    @property
    def today(self) -> date:
        return clock.local_date(self.now)

    def enrolled(self, person: Person, on: date) -> bool:
        raise NotImplementedError

    def check_institution(self, on: date) -> None:
        inst = self.institution
        if on < inst.designated_begin or (
            inst.designated_end is not None and on > inst.designated_end
        ):
            raise InterfaceError(
                f"医药机构 {inst.code} 在 {on} 不在定点协议有效期内", "fixmedins_code"
            )

    def check_person(self, person: Person, on: date, field: str = "psn_no") -> None:
        if person.death_date is not None and on > person.death_date:
            raise InterfaceError(
                f"参保人 {person.psn_no} 已于 {person.death_date} 死亡，不能享受待遇", field
            )
        if not self.enrolled(person, on):
            raise InterfaceError(f"参保人 {person.psn_no} 在 {on} 不在参保有效期内", field)

    def check_eligible(self, person: Person, dates: Iterable[date], field: str = "psn_no") -> None:
        """The institution designated and the person enrolled on each of ``dates``."""
        for on in sorted(set(dates)):
            self.check_institution(on)
            self.check_person(person, on, field)

    def check_settlement_dates(self, visit: Visit, person: Person, field: str = "psn_no") -> None:
        """Before a (pre-)settlement: the visit's times are not ahead of the clock, and the
        institution's designation and the person's enrolment cover the visit's dates and the
        day of settlement. A person who died during or after the stay is not checked on the
        day of settlement (death ends the enrolment; the last stay is still settled)."""
        fields.not_future(visit.begntime, self.now, "begntime")
        dates = [clock.local_date(visit.begntime)]
        if visit.endtime is not None:
            fields.not_future(visit.endtime, self.now, "endtime")
            dates.append(clock.local_date(visit.endtime))
        self.check_eligible(person, dates, field)
        self.check_institution(self.today)
        if person.death_date is None or person.death_date < max(dates):
            self.check_person(person, self.today, field)


@dataclass(frozen=True)
class Context(DateChecks):
    session: Session
    institution: Institution
    envelope: Envelope
    now: datetime
    voucher_key: bytes
    people: dict[int, Person] = dataclasses.field(default_factory=dict)  # visit id -> its person

    def visit(
        self, mdtrt_id: str, psn_no: str, *, kind: str | None = None, lock: bool = False
    ) -> Visit:
        """The caller's own visit; another institution's visit is reported as not found."""
        query = select(Visit).where(
            Visit.mdtrt_id == mdtrt_id, Visit.institution_id == self.institution.id
        )
        if lock:
            query = query.with_for_update()
        visit = self.session.scalars(query).first()
        if visit is None:
            raise InterfaceError(f"就诊 {mdtrt_id} 不存在", "mdtrt_id")
        person = self.session.get(Person, visit.person_id, with_for_update=lock)
        if person is None or person.psn_no != psn_no:
            raise InterfaceError("人员编号与就诊记录不符", "psn_no")
        if kind is not None and visit.kind != kind:
            label = "住院" if kind == "inpatient" else "门诊"
            raise InterfaceError(f"就诊 {mdtrt_id} 不是{label}就诊", "mdtrt_id")
        if visit.status == "cancelled":
            raise InterfaceError(f"就诊 {mdtrt_id} 已撤销", "mdtrt_id")
        self.people[visit.id] = person
        return visit

    def person_of(self, visit: Visit) -> Person:
        """The visit's person, as loaded (and locked) by :meth:`visit`."""
        return self.people[visit.id]

    def visit_named(
        self, data: Mapping[str, Any], path: str, *, kind: str | None = None, lock: bool = True
    ) -> Visit:
        """The visit named by ``mdtrt_id`` and ``psn_no`` in ``data`` (see :meth:`visit`)."""
        return self.visit(
            fields.text(data, "mdtrt_id", path),
            fields.text(data, "psn_no", path),
            kind=kind,
            lock=lock,
        )

    def enrolled(self, person: Person, on: date) -> bool:
        return persons.enrolment_on(self.session, person, on) is not None


Handler = Callable[[Context, Mapping[str, Any]], Any]


class Unauthorized(Exception):
    """The key is unknown, malformed or revoked."""


_ANSWER_SQL = "UPDATE fsi_messages SET response = :response WHERE id = :id"
# read on every message: a revoked key or a changed designation applies at once
_INSTITUTION_SQL = """
SELECT k.revoked_at, i.id, i.code, i.name, i.type, i.level, i.region, i.designated_begin,
       i.designated_end, i.cross_province
FROM api_keys k JOIN institutions i ON i.id = k.institution_id WHERE k.id = :id"""
_CLAIM_SQL = """
INSERT INTO fsi_messages (institution_id, msgid, infno, body_hash, response, created_at)
VALUES (:institution_id, :msgid, :infno, :body_hash, '', :created_at) RETURNING id"""


class Counter(DateChecks):
    """What a hot-path handler (settlement, reversal) gets: a Core connection in the
    message's transaction, the key, the envelope. The handler sends its reads through
    :meth:`read`, which puts the message's own first in the same round trip (the key and
    its institution, the msgid claim), and answers with :meth:`answer` in its batch of
    writes, which stores the answer on the claimed message row. Enrolment is checked against
    the periods the handler read with the visit (:attr:`periods`, by person id)."""

    institution: Institution

    def __init__(
        self,
        conn: Connection,
        key_id: int,
        institution_id: int,
        envelope: Envelope,
        digest: str,
        now: datetime,
        received: datetime,
        voucher_key: bytes = b"",
    ) -> None:
        self.conn = conn
        self.voucher_key = voucher_key
        self.key_id = key_id
        self.institution_id = institution_id
        self.envelope = envelope
        self.digest = digest
        self.now = now
        self.received = received
        self.claim_id: int | None = None
        self.response: str | None = None
        self.periods: dict[int, list[tuple[date, date | None]]] = {}

    def read(self, batch: Batch) -> list[Rows]:
        """Run the handler's reads (``batch``) after the message's own, in one round trip;
        the rows of the handler's statements. Raises :class:`Unauthorized` for a revoked
        key; a msgid already claimed raises ``IntegrityError`` (the caller replays)."""
        claim = {
            "institution_id": self.institution_id,
            "msgid": self.envelope.msgid,
            "infno": self.envelope.infno,
            "body_hash": self.digest,
            "created_at": bind_time(self.conn, self.now),
        }
        # the claim waits here while another attempt with this msgid is in flight
        batch.statements[:0] = [(_INSTITUTION_SQL, {"id": self.key_id}), (_CLAIM_SQL, claim)]
        rows = batch.run()
        if not rows[0] or rows[0][0][0] is not None:
            raise Unauthorized
        _, iid, code, name, kind, level, region, begin, end, cross = rows[0][0]
        self.institution = detached(
            Institution,
            id=iid,
            code=code,
            name=name,
            type=kind,
            level=level,
            region=region,
            designated_begin=read_date(begin),
            designated_end=read_date(end),
            cross_province=bool(cross),
        )
        if self.envelope.fixmedins_code != code:
            raise InterfaceError("与认证的医药机构不符", "fixmedins_code")
        self.claim_id = int(rows[1][0][0])
        return rows[2:]

    def enrolled(self, person: Person, on: date) -> bool:
        """Within one of the person's active enrolment periods on ``on``."""
        return any(b <= on and (e is None or e >= on) for b, e in self.periods[person.id])

    def answer(self, batch: Batch, output: Any) -> None:
        """Queue the storing of the answer on the claimed message row."""
        self.response = jsonout.dumps(
            response(output, admdvs=self.envelope.mdtrtarea_admvs, received=self.received)
        )
        batch.add(_ANSWER_SQL, {"response": self.response, "id": self.claim_id})


CounterHandler = Callable[[Counter, Mapping[str, Any]], None]
