"""What a person sees of their own insurance: enrolment summary, account movements by
month, settlements with their explanation, and the year so far (fund paid, paid by me,
the annual cap used and left, month by month). Read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.domain.money import from_fen, round_cents
from yibao.persistence.tables import (
    Account,
    Institution,
    JournalEntry,
    Person,
    Posting,
    SettlementRecord,
)
from yibao.rules import default_registry, labels
from yibao.services import ledger, persons
from yibao.services.ledger import KIND_LABELS, TransactionRow
from yibao.services.settlement import year_to_date

SCHEME = {"employee": "职工基本医疗保险", "resident": "城乡居民基本医疗保险"}
ENROLMENT_STATUS = {"active": "参保缴费", "paused": "暂停参保", "ended": "终止参保"}
MED_TYPE_BY_CODE = {"11": "普通门诊", "14": "门诊慢特病", "21": "住院", "51": "生育"}


@dataclass(frozen=True, slots=True)
class Summary:
    name: str
    masked_certno: str
    scheme: str
    policy_label: str
    group: str
    region: str
    status: str
    first_visit_hospital: str | None
    has_account: bool
    balance: Decimal


def summary(session: Session, person: Person, today: date) -> Summary:
    policy = default_registry().get(person.policy_id)
    enrolment = persons.enrolment_on(session, person, today)
    hospital = None
    if person.first_visit_hospital:
        name = session.scalar(
            select(Institution.name).where(Institution.code == person.first_visit_hospital)
        )
        hospital = (
            f"{name}（{person.first_visit_hospital}）" if name else person.first_visit_hospital
        )
    return Summary(
        name=person.name,
        masked_certno=persons.masked_certno(person),
        scheme=SCHEME[person.scheme],
        policy_label=policy.label if policy else person.policy_id,
        group=labels.GROUP.get(person.person_group, person.person_group),
        region=person.region,
        status=ENROLMENT_STATUS[enrolment.status] if enrolment else "未参保或已停保",
        first_visit_hospital=hospital,
        has_account=ledger.account_of(session, person) is not None,
        balance=from_fen(ledger.balance_fen(session, person)),
    )


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def transactions_in_month(
    session: Session, person: Person, year: int, month: int
) -> list[TransactionRow]:
    """The account's movements in one calendar month (UTC), newest first."""
    start, end = month_bounds(year, month)
    rows = session.execute(
        select(
            JournalEntry.id,
            JournalEntry.created_at,
            JournalEntry.kind,
            JournalEntry.reason,
            JournalEntry.ref,
            Posting.amount_fen,
        )
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(Account, Account.id == Posting.account_id)
        .where(
            Account.person_id == person.id,
            JournalEntry.created_at >= start,
            JournalEntry.created_at < end,
        )
        .order_by(JournalEntry.id.desc())
        .limit(500)
    ).all()
    return [
        TransactionRow(
            entry_id=r[0],
            created_at=r[1],
            kind=r[2],
            label=KIND_LABELS.get(r[2], r[2]),
            reason=r[3],
            ref=r[4],
            amount_fen=int(r[5]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class SettlementView:
    setl_id: str
    kind: str
    reversed: bool
    institution: str
    institution_code: str
    setl_date: date
    med_type: str
    medfee: Decimal
    fund_pay: Decimal
    acct_pay: Decimal
    cash_pay: Decimal
    fulamt_ownpay: Decimal
    overlmt_selfpay: Decimal
    preselfpay: Decimal
    deductible: Decimal
    policy: str
    explanation: list[str]


def _view(s: SettlementRecord, name: str, code: str) -> SettlementView:
    lines: Any = json.loads(s.explanation)
    return SettlementView(
        setl_id=s.setl_id,
        kind=s.kind,
        reversed=s.reversed,
        institution=name,
        institution_code=code,
        setl_date=s.setl_date,
        med_type=MED_TYPE_BY_CODE.get(s.med_type, s.med_type),
        medfee=from_fen(s.medfee_fen),
        fund_pay=from_fen(s.fund_pay_sumamt_fen),
        acct_pay=from_fen(s.acct_pay_fen),
        cash_pay=from_fen(s.psn_cash_pay_fen),
        fulamt_ownpay=from_fen(s.fulamt_ownpay_fen),
        overlmt_selfpay=from_fen(s.overlmt_selfpay_fen),
        preselfpay=from_fen(s.preselfpay_fen),
        deductible=from_fen(s.act_pay_dedc_fen),
        policy=s.policy,
        explanation=[str(x) for x in lines] if isinstance(lines, list) else [],
    )


def settlements(session: Session, person: Person, limit: int = 20) -> list[SettlementView]:
    rows = session.execute(
        select(SettlementRecord, Institution.name, Institution.code)
        .join(Institution, Institution.id == SettlementRecord.institution_id)
        .where(SettlementRecord.person_id == person.id)
        .order_by(SettlementRecord.id.desc())
        .limit(limit)
    ).all()
    return [_view(s, name, code) for s, name, code in rows]


def settlement(session: Session, person: Person, setl_id: str) -> SettlementView | None:
    """One of the person's own settlements, or None (also for another person's)."""
    row = session.execute(
        select(SettlementRecord, Institution.name, Institution.code)
        .join(Institution, Institution.id == SettlementRecord.institution_id)
        .where(SettlementRecord.setl_id == setl_id, SettlementRecord.person_id == person.id)
    ).first()
    return _view(row[0], row[1], row[2]) if row else None


@dataclass(frozen=True, slots=True)
class YearSoFar:
    year: int
    fund_paid: Decimal
    paid_by_me: Decimal
    cap: Decimal | None
    cap_left: Decimal | None
    admissions: int
    months: list[tuple[int, Decimal, Decimal]]  # (month, fund, me)


def year_so_far(session: Session, person: Person, today: date) -> YearSoFar:
    ytd = year_to_date(session, person.id, today.year)
    policy = default_registry().get(person.policy_id)
    version = policy.version_on(today) if policy else None
    cap = version.annual_cap.quantize(Decimal("0.01")) if version and version.annual_cap else None
    rows = session.execute(
        select(
            SettlementRecord.setl_date,
            SettlementRecord.fund_pay_sumamt_fen,
            SettlementRecord.psn_part_fen,
        ).where(SettlementRecord.person_id == person.id, SettlementRecord.year == today.year)
    ).all()
    fund = [0] * 13
    mine = [0] * 13
    for setl_date, fund_fen, own_fen in rows:
        fund[setl_date.month] += int(fund_fen)
        mine[setl_date.month] += int(own_fen)
    months = [(m, from_fen(fund[m]), from_fen(mine[m])) for m in range(1, today.month + 1)]
    return YearSoFar(
        year=today.year,
        fund_paid=ytd.fund_paid,
        paid_by_me=from_fen(sum(mine)),
        cap=round_cents(cap) if cap is not None else None,  # shown like every amount: 0.00
        cap_left=max(cap - ytd.fund_paid, Decimal("0.00")) if cap is not None else None,
        admissions=ytd.admissions,
        months=months,
    )
