"""The other review queues (审核员): 异地就医备案, 慢特病认定, 首诊医院变更, 挂失/解挂 — approve,
or reject with a reason — and 认证记录 (identity photos the automatic check could not settle).

The application's status moves through :func:`applications.decide` (timeline, 站内消息, and
what an approval changes); identity checks move from manual review to passed or failed. Each
decision writes the audit log.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.persistence.tables import Application, Person
from yibao.persistence.tables.citizens import CitizenUser, IdentityCheck
from yibao.services import applications, audit, staff
from yibao.services.errors import InvalidInput, NotFound

KINDS = {
    "cross_region_filing": "异地就医备案",
    "chronic_disease": "慢特病认定",
    "first_visit_hospital": "首诊医院变更",
    "card_loss": "挂失/解挂",
}


def pending(
    session: Session, kind: str, regions: tuple[str, ...]
) -> list[tuple[Application, Person, dict[str, Any]]]:
    if kind not in KINDS:
        raise NotFound("没有这个审核队列", field="kind")
    rows = session.execute(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.kind == kind, Application.status.in_(("submitted", "reviewing")))
        .order_by(Application.created_at)
    ).all()
    return [
        (a, p, json.loads(a.details)) for a, p in rows if staff.region_visible(regions, p.region)
    ]


def decide(
    session: Session,
    kind: str,
    application_id: int,
    approve: bool,
    reason: str,
    actor: audit.Actor,
    regions: tuple[str, ...],
    now: datetime,
) -> Application:
    app = session.get(Application, application_id)
    person = session.get(Person, app.person_id) if app is not None else None
    if app is None or person is None or app.kind != kind or kind not in KINDS:
        raise NotFound("没有这件申请", field="id")
    if not staff.region_visible(regions, person.region):
        raise NotFound("没有这件申请", field="id")
    reason = reason.strip()
    if not approve and not reason:
        raise InvalidInput("未通过须写明原因", field="reason")
    if len(reason) > 500:
        raise InvalidInput("原因不能超过 500 个字", field="reason")
    before = app.status
    if app.status == "submitted":
        applications.decide(session, app.id, "reviewing", now=now)
    to = "approved" if approve else "rejected"
    applications.decide(session, app.id, to, reason, now=now)
    audit.record(
        session,
        actor,
        f"{kind}.{'approve' if approve else 'reject'}",
        "application",
        app.id,
        before={"status": before},
        after={"status": to, "reason": reason},
        region=person.region,
    )
    return app


def identity_pending(
    session: Session, regions: tuple[str, ...]
) -> list[tuple[IdentityCheck, CitizenUser, Person | None]]:
    rows = session.execute(
        select(IdentityCheck, CitizenUser)
        .join(CitizenUser, CitizenUser.id == IdentityCheck.user_id)
        .where(IdentityCheck.result == "manual_review")
        .order_by(IdentityCheck.created_at)
    ).all()
    out = []
    for check, user in rows:
        person = session.get(Person, user.person_id) if user.person_id else None
        if staff.region_visible(regions, person.region if person else None):
            out.append((check, user, person))
    return out


def identity_check(
    session: Session, check_id: int, regions: tuple[str, ...]
) -> tuple[IdentityCheck, CitizenUser, Person | None]:
    check = session.get(IdentityCheck, check_id)
    user = session.get(CitizenUser, check.user_id) if check is not None else None
    if check is None or user is None:
        raise NotFound("没有这条认证记录", field="id")
    person = session.get(Person, user.person_id) if user.person_id else None
    if not staff.region_visible(regions, person.region if person else None):
        raise NotFound("没有这条认证记录", field="id")
    return check, user, person


def decide_identity(
    session: Session,
    check_id: int,
    approve: bool,
    reason: str,
    actor: audit.Actor,
    regions: tuple[str, ...],
    now: datetime,
) -> IdentityCheck:
    check, user, person = identity_check(session, check_id, regions)
    if check.result != "manual_review":
        raise InvalidInput("这条认证记录已处理", field="id")
    reason = reason.strip()
    if not approve and not reason:
        raise InvalidInput("未通过须写明原因（如：照片与身份证不是同一人）", field="reason")
    if approve:
        check.result = "passed"
        check.message = "人工审核通过"
        user.face_verified_at = now
    else:
        check.result = "failed"
        check.failed_check = "manual"
        check.message = f"人工审核未通过：{reason}"[:200]
    audit.record(
        session,
        actor,
        "identity.approve" if approve else "identity.reject",
        "identity_check",
        check.id,
        before={"result": "manual_review"},
        after={"result": check.result, "reason": reason},
        region=person.region if person else None,
    )
    return check
