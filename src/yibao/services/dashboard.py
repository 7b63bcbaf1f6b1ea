"""统计看板: fund spending by month, hospital level, policy and medical type; the
distribution of what people paid themselves; the applications backlog and review times.

Every figure is integer fen summed in SQL over the settlements (reversals carry negative
amounts, so they net out), for settlement dates in [date_from, date_to] and, for staff
limited to regions, persons of those regions only.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from yibao.domain.text import N_, Text
from yibao.persistence.tables import (
    Application,
    ApplicationEvent,
    Institution,
    Person,
    SettlementRecord,
)

OPEN_STATUSES = ("submitted", "reviewing", "returned")
DECIDED_STATUSES = ("approved", "rejected")
# Buckets of 个人负担 (psn_part) per settlement, in yuan: upper bounds, the last open.
OOP_BOUNDS_YUAN = (0, 100, 500, 1000, 5000, 10000)


@dataclass(frozen=True, slots=True)
class Scope:
    date_from: date
    date_to: date
    regions: tuple[str, ...] | None = None  # None: every region


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    count: int
    medfee_fen: int
    fund_fen: int
    psn_part_fen: int


def _where(scope: Scope) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        SettlementRecord.setl_date >= scope.date_from,
        SettlementRecord.setl_date <= scope.date_to,
    ]
    if scope.regions is not None:
        conds.append(
            SettlementRecord.person_id.in_(
                select(Person.id).where(or_(*(Person.region.startswith(r) for r in scope.regions)))
            )
        )
    return conds


def _sums() -> tuple[Any, ...]:
    # A settlement counts +1, its reversal -1: the count of settlements still standing.
    counted = case((SettlementRecord.kind == "reversal", -1), else_=1)
    return (
        func.sum(counted),
        func.sum(SettlementRecord.medfee_fen),
        func.sum(SettlementRecord.fund_pay_sumamt_fen),
        func.sum(SettlementRecord.psn_part_fen),
    )


def _rows(session: Session, key: Any, scope: Scope) -> list[Row]:
    stmt = select(key, *_sums()).select_from(SettlementRecord)
    stmt = stmt.where(and_(*_where(scope))).group_by(key).order_by(key)
    return [
        Row(str(k if k is not None else "—"), int(n or 0), int(m or 0), int(f or 0), int(p or 0))
        for k, n, m, f, p in session.execute(stmt)
    ]


def _fold(rows: list[Row], key_of: Callable[[str], str]) -> list[Row]:
    """Rows regrouped by ``key_of(row.key)``, summed, sorted by key."""
    out: dict[str, list[int]] = {}
    for r in rows:
        acc = out.setdefault(key_of(r.key), [0, 0, 0, 0])
        for i, v in enumerate((r.count, r.medfee_fen, r.fund_fen, r.psn_part_fen)):
            acc[i] += v
    return [Row(k, *v) for k, v in sorted(out.items())]


def by_month(session: Session, scope: Scope) -> list[Row]:
    # Grouped by day in SQL (an index range scan, no date function per row), months here.
    days = _rows(session, SettlementRecord.setl_date, scope)
    return _fold(days, lambda day: day[:7])


def by_level(session: Session, scope: Scope) -> list[Row]:
    # Grouped by institution in SQL (no join per row), levels here.
    levels = {
        str(i): "—" if lv is None else str(lv)
        for i, lv in session.execute(select(Institution.id, Institution.level))
    }
    per_institution = _rows(session, SettlementRecord.institution_id, scope)
    return _fold(per_institution, lambda inst: levels.get(inst, "—"))


def by_policy(session: Session, scope: Scope) -> list[Row]:
    return _rows(session, SettlementRecord.policy, scope)


def by_med_type(session: Session, scope: Scope) -> list[Row]:
    return _rows(session, SettlementRecord.med_type, scope)


@dataclass(frozen=True, slots=True)
class Bucket:
    label: Text  # "100–500 元": translated then filled where it is shown
    count: int


def out_of_pocket(session: Session, scope: Scope) -> list[Bucket]:
    """How many standing settlements fall in each band of 个人负担."""
    fen = SettlementRecord.psn_part_fen
    whens = [(fen <= b * 100, i) for i, b in enumerate(OOP_BOUNDS_YUAN)]
    bucket = case(*whens, else_=len(OOP_BOUNDS_YUAN))
    stmt = (
        select(bucket, func.count())
        .where(
            and_(*_where(scope)),
            SettlementRecord.kind == "settle",
            SettlementRecord.reversed.is_(False),
        )
        .group_by(bucket)
    )
    counts: dict[int, int] = {int(k): int(n) for k, n in session.execute(stmt)}
    labels = [Text(N_("{amount} 元"), amount=0)]
    labels += [
        Text(N_("{low}–{high} 元"), low=a, high=b) for a, b in itertools.pairwise(OOP_BOUNDS_YUAN)
    ]
    labels.append(Text(N_("{amount} 元以上"), amount=OOP_BOUNDS_YUAN[-1]))
    return [Bucket(label, int(counts.get(i, 0))) for i, label in enumerate(labels)]


@dataclass(frozen=True, slots=True)
class Backlog:
    open_by_kind_status: list[tuple[str, str, int]]
    oldest_open_days: dict[str, int]
    decided: int
    review_days_mean: float | None
    review_days_median: float | None


def backlog(session: Session, scope: Scope, now: datetime) -> Backlog:
    """Open applications by kind and status, the oldest open one per kind, and the time from
    submission to decision of those decided in the period."""
    persons = select(Person.id)
    if scope.regions is not None:
        persons = persons.where(or_(*(Person.region.startswith(r) for r in scope.regions)))
    in_scope = Application.person_id.in_(persons)
    open_rows = session.execute(
        select(Application.kind, Application.status, func.count(), func.min(Application.created_at))
        .where(in_scope, Application.status.in_(OPEN_STATUSES))
        .group_by(Application.kind, Application.status)
        .order_by(Application.kind, Application.status)
    ).all()
    oldest: dict[str, int] = {}
    for kind, _status, _n, first in open_rows:
        age = (now - first).days if first is not None else 0
        oldest[kind] = max(oldest.get(kind, 0), age)
    decided_at = (
        select(
            ApplicationEvent.application_id.label("app_id"),
            func.min(ApplicationEvent.created_at).label("at"),
        )
        .where(ApplicationEvent.status.in_(DECIDED_STATUSES))
        .group_by(ApplicationEvent.application_id)
        .subquery()
    )
    pairs = session.execute(
        select(Application.created_at, decided_at.c.at)
        .join(decided_at, decided_at.c.app_id == Application.id)
        .where(in_scope)
    ).all()
    days = [
        (at - created).total_seconds() / 86400
        for created, at in pairs
        if scope.date_from <= at.date() <= scope.date_to
    ]
    return Backlog(
        open_by_kind_status=[(k, s, int(n)) for k, s, n, _ in open_rows],
        oldest_open_days=oldest,
        decided=len(days),
        review_days_mean=round(statistics.fmean(days), 1) if days else None,
        review_days_median=round(statistics.median(days), 1) if days else None,
    )
