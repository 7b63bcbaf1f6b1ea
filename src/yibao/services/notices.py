"""站内消息: a person's notices, newest first, and marking them read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yibao.persistence.base import utcnow
from yibao.persistence.tables import Notice, Person
from yibao.services.errors import NotFound


def list_for_person(session: Session, person: Person, limit: int = 100) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.person_id == person.id)
            .order_by(Notice.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, person: Person) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.person_id == person.id, Notice.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session, person: Person, notice_id: int, now: datetime | None = None
) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None or notice.person_id != person.id:
        raise NotFound("没有找到这条消息", field="id")
    if notice.read_at is None:
        notice.read_at = now or utcnow()
    return notice


def mark_all_read(session: Session, person: Person, now: datetime | None = None) -> int:
    result = session.execute(
        update(Notice)
        .where(Notice.person_id == person.id, Notice.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
