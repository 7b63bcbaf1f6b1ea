"""What a transaction handler gets: the open session, the calling institution, the envelope."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from yibao.national import clock, fields, jsonout
from yibao.national.envelope import Envelope, InterfaceError, response
from yibao.persistence.db import sql
from yibao.persistence.tables import Institution, Person
from yibao.persistence.tables.hospital import Visit
from yibao.services import persons


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


_ANSWER_SQL = "UPDATE fsi_messages SET response = :response WHERE id = :id"


class Counter(DateChecks):
    """What a hot-path handler (settlement, reversal) gets: a Core connection in the
    message's transaction, the calling institution, the envelope. The handler answers with
    :meth:`answer`, inside its last round trip of writes, which stores the answer on the
    claimed message row. Enrolment is checked against the periods the handler read with
    the visit (:attr:`periods`, by person id)."""

    def __init__(
        self,
        conn: Connection,
        institution: Institution,
        envelope: Envelope,
        now: datetime,
        claim_id: int,
        received: datetime,
    ) -> None:
        self.conn = conn
        self.institution = institution
        self.envelope = envelope
        self.now = now
        self.claim_id = claim_id
        self.received = received
        self.response: str | None = None
        self.periods: dict[int, list[tuple[date, date | None]]] = {}

    def enrolled(self, person: Person, on: date) -> bool:
        """Within one of the person's active enrolment periods on ``on``."""
        return any(b <= on and (e is None or e >= on) for b, e in self.periods[person.id])

    def answer(self, output: Any) -> None:
        self.response = jsonout.dumps(
            response(output, admdvs=self.envelope.mdtrtarea_admvs, received=self.received)
        )
        sql(self.conn, _ANSWER_SQL, {"response": self.response, "id": self.claim_id})


CounterHandler = Callable[[Counter, Mapping[str, Any]], None]
