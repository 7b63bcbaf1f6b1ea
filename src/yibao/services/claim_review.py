"""手工报销 review (审核员): approve with the engine's amounts (or another amount with a reason
and a second reviewer), return for more materials, or reject.

- Above the configured amount (``Settings.claim_second_review_fen``), or when the amount is
  not the engine's, a first approval waits for a second, different reviewer. No one approves
  their own second review.
- The final approval writes a settlement like a direct settlement (its fund rows and its
  year-to-date contribution, the policy version in force on the visit date) at the region's
  agency, with nothing taken from the personal account: the person already paid the
  hospital; what the funds owe is paid to the person's bank account (see :mod:`payments`).
- One claim per invoice: the invoice number is a unique key, so of two claims for one invoice
  (or two approvals at once) exactly one is accepted. An invoice already settled directly
  (2207/2304 with that invoice number at the hospital the claim names) and not reversed is
  refused at approval (smart-audit DUP_INVOICE flags it before); once that settlement is
  reversed (2208/2305) the claim may be approved.
Every step writes the audit log in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.domain.money import fmt, from_fen, to_fen
from yibao.domain.text import N_
from yibao.persistence.tables import (
    Application,
    ClaimInvoice,
    ClaimReview,
    Institution,
    Person,
    Visit,
)
from yibao.rules import settle_case
from yibao.rules.result import Result
from yibao.services import application_effects as effects
from yibao.services import applications, audit, persons, smart_audit, staff
from yibao.services import settlement as settlement_service
from yibao.services.errors import Conflict, InvalidInput, NotFound

MED_TYPE_OF_CLAIM = {"outpatient": "11", "inpatient": "21", "chronic_outpatient": "14"}
RETURN_TEMPLATES = (
    N_("发票不清晰或不完整，请重新上传"),
    N_("缺少费用明细清单"),
    N_("缺少病历、诊断证明或出院小结"),
    N_("银行卡信息有误，请核对后重新提交"),
    N_("其他（见说明）"),
)
REVIEWABLE = ("submitted", "reviewing")


@dataclass(frozen=True, slots=True)
class Reviewer:
    actor: audit.Actor
    regions: tuple[str, ...]

    @property
    def staff_id(self) -> int:
        assert self.actor.staff_id is not None
        return self.actor.staff_id


def load(
    session: Session, application_id: int, regions: tuple[str, ...]
) -> tuple[Application, Person]:
    """The claim and its person, or NotFound (also for a claim outside the staff's regions)."""
    app = session.get(Application, application_id)
    person = session.get(Person, app.person_id) if app is not None else None
    if app is None or person is None or app.kind != "claim":
        raise NotFound("没有这件手工报销申请", field="id")
    if not staff.region_visible(regions, person.region):
        raise NotFound("没有这件手工报销申请", field="id")
    return app, person


def details_of(app: Application) -> dict[str, Any]:
    return dict(json.loads(app.details))


def engine_result(session: Session, person: Person, app: Application) -> Result:
    return settle_case(effects.claim_case(session, person, details_of(app)))


def _start(session: Session, app: Application, now: datetime) -> None:
    if app.status not in REVIEWABLE:
        raise InvalidInput(
            f"申请为“{applications.STATUS_LABELS[app.status]}”，不能审核", field="decision"
        )
    if app.status == "submitted":
        applications.decide(session, app.id, "reviewing", now=now)


def set_details(app: Application, **changes: Any) -> None:
    details = details_of(app)
    for k, v in changes.items():
        if v is None:
            details.pop(k, None)
        else:
            details[k] = v
    app.details = json.dumps(details, ensure_ascii=False)


def approve(
    session: Session,
    application_id: int,
    reviewer: Reviewer,
    *,
    amount: str = "",
    reason: str = "",
    second_review_fen: int,
    now: datetime,
) -> str:
    """Approve: "first" (waiting for a second reviewer) or "approved"."""
    app, person = load(session, application_id, reviewer.regions)
    _start(session, app, now)
    result = engine_result(session, person, app)
    engine_fen = to_fen(result.fund_pay_sumamt)
    reason = reason.strip()[:500]
    pending = details_of(app).get("first_approval")
    if pending is not None:
        if pending["staff_id"] == reviewer.staff_id:
            raise InvalidInput("不能复核自己的初审，须由另一位审核员复核", field="decision")
        if amount.strip() and _fen(amount) != pending["amount_fen"]:
            raise InvalidInput("复核金额应与初审一致；如有异议请退回", field="amount")
        return _final(session, app, person, result, pending["amount_fen"], reviewer, now)
    approved_fen = _fen(amount) if amount.strip() else engine_fen
    if approved_fen > to_fen(result.medfee_sumamt):
        raise InvalidInput("核定金额不能超过医疗费总额", field="amount")
    if approved_fen != engine_fen and not reason:
        raise InvalidInput(
            f"核定金额与测算金额 {fmt(result.fund_pay_sumamt)} 元不同，须写明原因", field="reason"
        )
    if approved_fen > second_review_fen or approved_fen != engine_fen:
        set_details(
            app,
            first_approval={
                "staff_id": reviewer.staff_id,
                "staff": reviewer.actor.name,
                "amount_fen": approved_fen,
                "reason": reason,
            },
        )
        session.add(
            ClaimReview(
                application_id=app.id,
                staff_id=reviewer.staff_id,
                action="first_approval",
                amount_fen=approved_fen,
                reason=reason,
                created_at=now,
            )
        )
        audit.record(
            session,
            reviewer.actor,
            "claim.first_approval",
            "application",
            app.id,
            after={
                "amount": fmt(from_fen(approved_fen)),
                "engine": fmt(result.fund_pay_sumamt),
                "reason": reason,
            },
            region=person.region,
        )
        return "first"
    return _final(session, app, person, result, approved_fen, reviewer, now)


def _fen(raw: str) -> int:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidInput("金额应为数字，如 1234.50", field="amount") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput("金额应为不小于 0 的数字，最多两位小数", field="amount")
    if value > Decimal("10000000"):
        raise InvalidInput("金额过大", field="amount")
    return to_fen(value)


def _agency(session: Session, region: str) -> Institution:
    """The region's agency, where claim settlements are recorded (created on first use)."""
    code = f"JB{region}"
    inst = session.scalar(select(Institution).where(Institution.code == code))
    if inst is None:
        inst = Institution(
            code=code,
            name=f"医保经办机构（{region}，手工报销）",
            type="hospital",
            level=None,
            region=region,
            designated_begin=date(2000, 1, 1),
        )
        session.add(inst)
        session.flush()
    return inst


def _final(
    session: Session,
    app: Application,
    person: Person,
    result: Result,
    amount_fen: int,
    reviewer: Reviewer,
    now: datetime,
) -> str:
    details = details_of(app)
    invoice = str(details["invoice_no"]).upper()
    settled = smart_audit.direct_settlements(session, invoice, details.get("institution_name", ""))
    if settled:
        setl_id, on = settled[0]
        raise Conflict(
            f"发票 {invoice} 已于 {on} 在{details.get('institution_name', '')}直接结算"
            f"（结算号 {setl_id}），本件不能通过；该结算撤销后方可报销",
            field="invoice_no",
        )
    with session.begin_nested():
        try:
            session.add(ClaimInvoice(invoice_no=invoice, application_id=app.id, created_at=now))
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"发票 {invoice} 已有另一件报销申请获批，本件不能通过", field="invoice_no"
            ) from None
    inst = _agency(session, person.region)
    visit_day = date.fromisoformat(details["visit_date"])
    med = MED_TYPE_OF_CLAIM[details["claim_type"]]
    visit = Visit(
        mdtrt_id=settlement_service.new_id(now),
        institution_id=inst.id,
        person_id=person.id,
        kind="inpatient" if med == "21" else "outpatient",
        insutype=persons.insutype(person),
        med_type=med,
        ipt_otp_no=f"CLAIM{app.id}",
        mdtrt_cert_type="02",
        begntime=datetime(visit_day.year, visit_day.month, visit_day.day, tzinfo=UTC),
        status="open",
    )
    session.add(visit)
    session.flush()
    case = effects.claim_case(session, person, details)
    setl = settlement_service.record_in_session(
        session, case, result, visit, person, inst, msgid=f"claim-{app.id}", infno="CLAIM",
        med_type=med, now=now,
    )  # fmt: skip
    invoice_row = session.get(ClaimInvoice, invoice)
    assert invoice_row is not None
    invoice_row.settlement_id = setl.id
    applications.decide(session, app.id, "approved", now=now)
    set_details(
        app, approved_amount=fmt(from_fen(amount_fen)), setl_id=setl.setl_id, first_approval=None
    )
    session.add(
        ClaimReview(
            application_id=app.id,
            staff_id=reviewer.staff_id,
            action="approve",
            amount_fen=amount_fen,
            created_at=now,
        )
    )
    audit.record(
        session,
        reviewer.actor,
        "claim.approve",
        "application",
        app.id,
        before={"status": "reviewing"},
        after={
            "status": "approved",
            "amount": fmt(from_fen(amount_fen)),
            "setl_id": setl.setl_id,
            "policy_version": setl.policy_version,
        },
        region=person.region,
    )
    return "approved"


def return_claim(
    session: Session,
    application_id: int,
    reviewer: Reviewer,
    *,
    template: str,
    note: str,
    now: datetime,
) -> None:
    app, person = load(session, application_id, reviewer.regions)
    if template not in RETURN_TEMPLATES:
        raise InvalidInput("请选择退回原因", field="template")
    note = note.strip()[:300]
    if template.startswith("其他") and not note:
        raise InvalidInput("选择“其他”时须写明说明", field="note")
    reason = template if not note else f"{template}：{note}"
    _start(session, app, now)
    applications.decide(session, app.id, "returned", reason, now=now)
    set_details(app, first_approval=None)
    _review(session, app, person, reviewer, "return", reason, now)


def reject(
    session: Session, application_id: int, reviewer: Reviewer, *, reason: str, now: datetime
) -> None:
    app, person = load(session, application_id, reviewer.regions)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("未通过须写明原因", field="reason")
    if len(reason) > 500:
        raise InvalidInput("原因不能超过 500 个字", field="reason")
    _start(session, app, now)
    applications.decide(session, app.id, "rejected", reason, now=now)
    _review(session, app, person, reviewer, "reject", reason, now)


def _review(
    session: Session,
    app: Application,
    person: Person,
    reviewer: Reviewer,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        ClaimReview(
            application_id=app.id,
            staff_id=reviewer.staff_id,
            action=action,
            reason=reason,
            created_at=now,
        )
    )
    status = {"return": "returned", "reject": "rejected"}[action]
    audit.record(
        session,
        reviewer.actor,
        f"claim.{action}",
        "application",
        app.id,
        before={"status": "reviewing"},
        after={"status": status, "reason": reason},
        region=person.region,
    )


@dataclass(frozen=True, slots=True)
class QueueFilter:
    claim_type: str = ""
    region: str = ""
    min_age_days: int | None = None
    min_amount_fen: int | None = None
    flagged_only: bool = False


def queue(
    session: Session, regions: tuple[str, ...], f: QueueFilter, now: datetime
) -> list[tuple[Application, Person, dict[str, Any], int]]:
    """待审核: open claims (submitted, reviewing), oldest first, with (details, age in days)."""
    rows = session.execute(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.kind == "claim", Application.status.in_(REVIEWABLE))
        .order_by(Application.created_at)
    ).all()
    out = []
    for app, person in rows:
        if not staff.region_visible(regions, person.region):
            continue
        if f.region and not person.region.startswith(f.region):
            continue
        details = details_of(app)
        if f.claim_type and details.get("claim_type") != f.claim_type:
            continue
        age = (now - app.created_at).days
        if f.min_age_days is not None and age < f.min_age_days:
            continue
        estimate = to_fen_str(details.get("estimate", {}).get("fund_pay_sumamt", "0"))
        if f.min_amount_fen is not None and estimate < f.min_amount_fen:
            continue
        details["audit_flags"] = smart_audit.flags_for(session, app, person)
        if f.flagged_only and not details["audit_flags"]:
            continue
        out.append((app, person, details, age))
    return out


def to_fen_str(raw: str) -> int:
    try:
        return to_fen(Decimal(raw))
    except InvalidOperation:
        return 0


def reviews_of(session: Session, app: Application) -> list[ClaimReview]:
    return list(
        session.scalars(
            select(ClaimReview).where(ClaimReview.application_id == app.id).order_by(ClaimReview.id)
        )
    )
