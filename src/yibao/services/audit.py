"""审计日志: record every staff action and every money movement; search and export.

Values are stored as JSON. Callers pass already-masked personal data: the log is read by
staff, so an ID number or a bank account never appears in clear here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yibao.persistence.base import utcnow
from yibao.persistence.tables import AuditEntry
from yibao.services import clock

CSV_COLUMNS = ("id", "at_utc", "actor", "action", "object_type", "object_id", "region")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff member (id and username) or the command line / the system."""

    name: str
    staff_id: int | None = None


COMMAND_LINE = Actor("cli")
SYSTEM = Actor("system")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    region: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the
    change it describes)."""
    entry = AuditEntry(
        at=at or utcnow(),
        staff_id=actor.staff_id,
        actor=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region=region,
        before=json.dumps(_jsonable(before or {}), ensure_ascii=False, sort_keys=True),
        after=json.dumps(_jsonable(after or {}), ensure_ascii=False, sort_keys=True),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None  # Beijing dates, inclusive
    date_to: date | None = None
    regions: tuple[str, ...] | None = None  # None: every region


def _statement(q: AuditQuery) -> Select[Any]:
    stmt = select(AuditEntry)
    if q.actor:
        stmt = stmt.where(AuditEntry.actor == q.actor)
    if q.action:
        stmt = stmt.where(AuditEntry.action == q.action)
    if q.object_type:
        stmt = stmt.where(AuditEntry.object_type == q.object_type)
    if q.object_id:
        stmt = stmt.where(AuditEntry.object_id == q.object_id)
    if q.date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(q.date_from, time(), clock.zone()))
    if q.date_to:
        end = datetime.combine(q.date_to + timedelta(days=1), time(), clock.zone())
        stmt = stmt.where(AuditEntry.at < end)
    if q.regions is not None:
        # Region-limited staff see entries of their regions (prefixes), none without one.
        stmt = stmt.where(or_(*(AuditEntry.region.startswith(r) for r in q.regions)))
    return stmt.order_by(AuditEntry.id.desc())


def search(
    session: Session, q: AuditQuery, *, limit: int = 50, offset: int = 0
) -> list[AuditEntry]:
    return list(session.scalars(_statement(q).limit(limit).offset(offset)))


def export_csv(session: Session, q: AuditQuery) -> Iterator[str]:
    """The matching entries as CSV text chunks (header first), newest first."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([*CSV_COLUMNS, "before", "after"])
    yield buf.getvalue()
    for entry in session.scalars(_statement(q).execution_options(yield_per=500)):
        buf.seek(0)
        buf.truncate()
        writer.writerow(
            [
                entry.id,
                entry.at.isoformat(),
                entry.actor,
                entry.action,
                entry.object_type,
                entry.object_id,
                entry.region or "",
                entry.before,
                entry.after,
            ]
        )
        yield buf.getvalue()
