"""Applications (申请): submit, move through review, resubmit when returned.

Every application goes 已提交 → 审核中 → 退回补充材料 / 已通过 / 未通过; claims go on to 已支付.
A returned application is completed and resubmitted by the person (→ 已提交 again). Every
change writes a status-timeline row and a 站内消息 to the person, in the caller's transaction;
a refused change writes nothing. What an approval changes (a filing in force, a certified
chronic class, the first-visit hospital, the card) is in :mod:`application_effects`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.domain.shown import shown
from yibao.domain.text import N_
from yibao.persistence.base import utcnow
from yibao.persistence.tables import (
    Application,
    ApplicationEvent,
    ApplicationFile,
    Notice,
    Person,
)
from yibao.services import application_effects as effects
from yibao.services import application_forms as forms
from yibao.services import bank_accounts, clock, materials
from yibao.services.errors import Conflict, InvalidInput, NotFound

KIND_LABELS = {
    "claim": N_("手工报销"),
    "cross_region_filing": N_("异地就医备案"),
    "chronic_disease": N_("慢特病认定"),
    "first_visit_hospital": N_("首诊医院选择/变更"),
    "card_loss": N_("挂失/解挂"),
}
STATUS_LABELS = {
    "submitted": N_("已提交"),
    "reviewing": N_("审核中"),
    "returned": N_("退回补充材料"),
    "approved": N_("已通过"),
    "rejected": N_("未通过"),
    "paid": N_("已支付"),
    "reversed": N_("已撤销"),
}
OPEN_STATUSES = ("submitted", "reviewing", "returned")
# Moves the reviewing side may make; the person's only move is resubmit (returned → submitted).
STAFF_MOVES = {
    "submitted": ("reviewing",),
    "reviewing": ("returned", "approved", "rejected"),
    "approved": ("paid", "reversed"),
    "paid": ("reversed",),
}
REASON_REQUIRED = ("returned", "rejected", "reversed")
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Upload:
    """A material already checked and re-encoded by the upload-validation service."""

    material: str
    filename: str
    content_type: str
    data: bytes


def local_today(now: datetime) -> date:
    return now.astimezone(clock.zone()).date()


def details_of(app: Application) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(app.details)
    return value


def checklist(kind: str, details: Mapping[str, Any]) -> tuple[materials.Material, ...]:
    """The material checklist for an application of ``kind`` with these details."""
    if kind == "claim":
        return materials.CLAIM_MATERIALS.get(str(details.get("claim_type")), ())
    if kind == "cross_region_filing":
        return materials.FILING_MATERIALS.get(str(details.get("filing_type")), ())
    if kind == "chronic_disease":
        return materials.CHRONIC_MATERIALS
    return ()


def _validate(
    session: Session, person: Person, kind: str, data: Mapping[str, Any], today: date
) -> dict[str, Any]:
    if kind == "claim":
        return forms.claim(person, data, today)
    if kind == "cross_region_filing":
        return forms.filing(session, person, data, today)
    if kind == "chronic_disease":
        return forms.chronic(person, data, today)
    if kind == "first_visit_hospital":
        return forms.first_visit(session, person, data, today)
    if kind == "card_loss":
        return forms.card(person, data)
    raise InvalidInput(f"未知的申请类型 {shown(kind)}", field="kind")


def _check_uploads(
    kind: str, details: Mapping[str, Any], uploads: Sequence[Upload], already: set[str]
) -> None:
    allowed = {m.key for m in materials.uploads(checklist(kind, details))}
    for up in uploads:
        if up.material not in allowed:
            raise InvalidInput("这份材料不在本申请的材料清单中", field=f"file_{up.material}")
    missing = materials.missing(checklist(kind, details), already | {u.material for u in uploads})
    if missing:
        raise InvalidInput(f"请上传：{missing[0].label}", field=f"file_{missing[0].key}")


def _open_of_kind(session: Session, person: Person, kind: str) -> list[Application]:
    return list(
        session.scalars(
            select(Application).where(
                Application.person_id == person.id,
                Application.kind == kind,
                Application.status.in_(OPEN_STATUSES),
            )
        )
    )


def _check_limits(
    session: Session, person: Person, kind: str, details: Mapping[str, Any], now: datetime
) -> None:
    if kind == "claim":
        for other in session.scalars(
            select(Application).where(
                Application.person_id == person.id,
                Application.kind == "claim",
                Application.status != "rejected",
            )
        ):
            if details_of(other).get("invoice_no") == details["invoice_no"]:
                raise Conflict(
                    f"发票号 {details['invoice_no']} 已在申请 #{other.id} 中提交",
                    field="invoice_no",
                )
        return
    if kind in ("cross_region_filing", "card_loss", "first_visit_hospital") and _open_of_kind(
        session, person, kind
    ):
        raise Conflict(f"你已有一份办理中的{KIND_LABELS[kind]}申请")
    if kind == "first_visit_hospital":
        year = local_today(now).year
        for other in session.scalars(
            select(Application).where(
                Application.person_id == person.id,
                Application.kind == kind,
                Application.status == "approved",
            )
        ):
            if local_today(other.updated_at).year == year:
                raise Conflict(
                    "首诊医院每个医疗年度只能选择或变更一次（太原医保问答，来源 001）",
                    field="hospital_code",
                )
    if kind == "chronic_disease":
        effects.check_chronic_limits(session, person, details, local_today(now))


def submit(
    session: Session,
    person: Person,
    kind: str,
    data: Mapping[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    now: datetime | None = None,
) -> Application:
    """File a new application (status 已提交) with its materials; notify the person."""
    now = now or utcnow()
    details = _validate(session, person, kind, data, local_today(now))
    _check_uploads(kind, details, uploads, set())
    _check_limits(session, person, kind, details, now)
    if kind == "claim":
        details["estimate"] = effects.estimate_claim(session, person, details)
    app = Application(
        person_id=person.id,
        kind=kind,
        status="submitted",
        details=json.dumps(bank_accounts.seal(details), ensure_ascii=False),
        reason="",
        created_at=now,
        updated_at=now,
    )
    session.add(app)
    session.flush()
    _store_uploads(session, app, uploads, now)
    _record(session, app, "submitted", "", "citizen", now)
    effects.on_submitted(session, person, app, details, now)
    return app


def resubmit(
    session: Session,
    person: Person,
    application_id: int,
    data: Mapping[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    *,
    now: datetime | None = None,
) -> Application:
    """Complete a returned application (new details and/or materials) and send it again."""
    now = now or utcnow()
    app = get_for_person(session, person, application_id)
    if app.status != "returned":
        raise InvalidInput(
            f"只有“退回补充材料”的申请可以重新提交，此申请为“{STATUS_LABELS[app.status]}”",
            field="status",
        )
    details = details_of(app)
    if data is not None:
        fresh = _validate(session, person, app.kind, data, local_today(now))
        if app.kind == "claim" and fresh["invoice_no"] != details["invoice_no"]:
            _check_limits(session, person, app.kind, fresh, now)
        details = fresh
    already = set(
        session.scalars(
            select(ApplicationFile.material).where(ApplicationFile.application_id == app.id)
        )
    )
    _check_uploads(app.kind, details, uploads, already)
    if app.kind == "claim":
        details["estimate"] = effects.estimate_claim(session, person, details)
    app.details = json.dumps(bank_accounts.seal(details), ensure_ascii=False)
    _store_uploads(session, app, uploads, now)
    _move(session, app, "submitted", "已补充材料并重新提交", "citizen", now)
    return app


def decide(
    session: Session,
    application_id: int,
    to: str,
    reason: str = "",
    *,
    now: datetime | None = None,
) -> Application:
    """Move an application to ``to`` for the reviewing side, if the move is legal.

    Raises :class:`InvalidInput` for an illegal move or a missing reason; nothing is written then.
    """
    now = now or utcnow()
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound(f"没有编号为 {application_id} 的申请", field="id")
    if to not in STATUS_LABELS:
        raise InvalidInput(f"未知的状态 {shown(to)}，可用：{'、'.join(STATUS_LABELS)}", field="to")
    allowed = STAFF_MOVES.get(app.status, ())
    if to in ("paid", "reversed") and app.kind != "claim":
        allowed = ()
    if to not in allowed:
        raise InvalidInput(
            f"申请 #{app.id} 为“{STATUS_LABELS[app.status]}”，不能改为“{STATUS_LABELS[to]}”",
            field="to",
        )
    reason = reason.strip()
    if to in REASON_REQUIRED and not reason:
        raise InvalidInput(f"改为“{STATUS_LABELS[to]}”须写明原因", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"原因不能超过 {MAX_REASON} 个字", field="reason")
    person = session.get(Person, app.person_id)
    assert person is not None
    effects.on_decided(session, person, app, to, now)
    _move(session, app, to, reason, "staff", now)
    return app


def _move(
    session: Session, app: Application, to: str, reason: str, actor: str, now: datetime
) -> None:
    app.status = to
    app.reason = reason
    app.updated_at = now
    _record(session, app, to, reason, actor, now)


def _record(
    session: Session, app: Application, status: str, reason: str, actor: str, now: datetime
) -> None:
    session.add(
        ApplicationEvent(
            application_id=app.id, status=status, reason=reason, actor=actor, created_at=now
        )
    )
    label = KIND_LABELS[app.kind]
    body = f"你的{label}申请（编号 {app.id}）状态为：{STATUS_LABELS[status]}。"
    if reason:
        body += f"原因：{reason}"
    if status == "returned":
        body += "请在“我的申请”中补充材料后重新提交。"
    session.add(
        Notice(
            person_id=app.person_id,
            application_id=app.id,
            title=f"{label}：{STATUS_LABELS[status]}",
            body=body,
            created_at=now,
        )
    )
    session.flush()


def _store_uploads(
    session: Session, app: Application, uploads: Sequence[Upload], now: datetime
) -> None:
    for up in uploads:
        session.add(
            ApplicationFile(
                application_id=app.id,
                material=up.material,
                filename=up.filename[:120],
                content_type=up.content_type,
                size=len(up.data),
                sha256=hashlib.sha256(up.data).hexdigest(),
                data=up.data,
                created_at=now,
            )
        )


def get_for_person(session: Session, person: Person, application_id: int) -> Application:
    """The person's own application, or :class:`NotFound` (also for someone else's)."""
    app = session.get(Application, application_id)
    if app is None or app.person_id != person.id:
        raise NotFound("没有找到这份申请", field="id")
    return app


def list_for_person(session: Session, person: Person) -> list[Application]:
    return list(
        session.scalars(
            select(Application)
            .where(Application.person_id == person.id)
            .order_by(Application.id.desc())
        )
    )


def timeline(session: Session, app: Application) -> list[ApplicationEvent]:
    return list(
        session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == app.id)
            .order_by(ApplicationEvent.id)
        )
    )


def files_of(session: Session, app: Application) -> list[ApplicationFile]:
    return list(
        session.scalars(
            select(ApplicationFile)
            .where(ApplicationFile.application_id == app.id)
            .order_by(ApplicationFile.id)
        )
    )


def file_for_person(session: Session, person: Person, file_id: int) -> ApplicationFile:
    row = session.execute(
        select(ApplicationFile, Application.person_id)
        .join(Application, Application.id == ApplicationFile.application_id)
        .where(ApplicationFile.id == file_id)
    ).one_or_none()
    if row is None or row[1] != person.id:
        raise NotFound("没有找到这份材料", field="id")
    file: ApplicationFile = row[0]
    return file


def count_by_status(session: Session, person: Person) -> dict[str, int]:
    rows = session.execute(
        select(Application.status, func.count())
        .where(Application.person_id == person.id)
        .group_by(Application.status)
    )
    return {status: int(n) for status, n in rows}
