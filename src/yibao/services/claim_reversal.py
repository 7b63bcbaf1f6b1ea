"""撤销 an approved 手工报销 (payer or admin): its settlement is reversed like a 2208/2305
reversal (every amount negated, fund rows negated, the year-to-date row restored exactly), the
application moves to 已撤销 (timeline row and 站内消息), and, when the money was already paid
to the person's bank account, the amount owed back (应追回) is recorded on the claim and in
the audit log. A claim still in a 支付批次 waiting for the bank cannot be reversed until that
batch is paid. A settlement is reversed at most once: the original is locked and marked, and
the application can leave 已通过/已支付 only once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.domain.money import fmt, from_fen
from yibao.persistence.tables import Application, PaymentBatch, PaymentItem, Person
from yibao.services import applications, audit, staff
from yibao.services import settlement as settlement_service
from yibao.services.claim_review import details_of, set_details, to_fen_str
from yibao.services.errors import Conflict, InvalidInput, NotFound

REVERSIBLE = ("approved", "paid")
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Reversal:
    setl_id: str
    owed_back: str  # 应追回 (yuan), "0.00" when nothing was paid yet


def load(
    session: Session, application_id: int, regions: tuple[str, ...]
) -> tuple[Application, Person]:
    """The claim and its person, or NotFound (also outside the staff's regions)."""
    app = session.get(Application, application_id)
    person = session.get(Person, app.person_id) if app is not None else None
    if app is None or person is None or app.kind != "claim":
        raise NotFound("没有这件手工报销申请", field="id")
    if not staff.region_visible(regions, person.region):
        raise NotFound("没有这件手工报销申请", field="id")
    return app, person


def reversible(session: Session, regions: tuple[str, ...]) -> list[tuple[Application, Person]]:
    """Claims that may be reversed (已通过, 已支付) and those already reversed, newest first."""
    rows = session.execute(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.kind == "claim", Application.status.in_((*REVERSIBLE, "reversed")))
        .order_by(Application.updated_at.desc(), Application.id.desc())
        .limit(100)
    ).all()
    return [(a, p) for a, p in rows if staff.region_visible(regions, p.region)]


def _waiting_batch(session: Session, app: Application) -> int | None:
    return session.scalar(
        select(PaymentBatch.id)
        .join(PaymentItem, PaymentItem.batch_id == PaymentBatch.id)
        .where(PaymentItem.application_id == app.id, PaymentBatch.status == "built")
    )


def reverse_claim(
    session: Session,
    application_id: int,
    actor: audit.Actor,
    regions: tuple[str, ...],
    *,
    reason: str,
    now: datetime,
) -> Reversal:
    """Reverse the claim's settlement and move the claim to 已撤销; everything or nothing."""
    app, person = load(session, application_id, regions)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("撤销须写明原因", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"原因不能超过 {MAX_REASON} 个字", field="reason")
    if app.status == "reversed":
        raise Conflict("这件报销已撤销，不能重复撤销", field="reason")
    if app.status not in REVERSIBLE:
        label = applications.STATUS_LABELS[app.status]
        raise InvalidInput(f"只有已通过或已支付的报销可以撤销，此申请为“{label}”", field="reason")
    waiting = _waiting_batch(session, app)
    if waiting is not None:
        raise Conflict(
            f"这件报销在待支付的支付批次 {waiting} 中，请待银行付款后再撤销", field="reason"
        )
    details = details_of(app)
    setl_id = str(details.get("setl_id") or "")
    if not setl_id:
        raise NotFound("这件报销没有结算记录", field="reason")
    before = app.status
    reversal = settlement_service.reverse_in_session(
        session, setl_id, msgid=f"claim-reversal-{app.id}", infno="CLAIM", now=now
    )
    paid = before == "paid"
    owed = fmt(from_fen(to_fen_str(str(details.get("approved_amount", "0"))))) if paid else "0.00"
    applications.decide(session, app.id, "reversed", reason, now=now)
    set_details(app, reversal_setl_id=reversal.setl_id, owed_back=owed if paid else None)
    audit.record(
        session,
        actor,
        "claim.reverse",
        "application",
        app.id,
        before={"status": before, "setl_id": setl_id},
        after={
            "status": "reversed",
            "reason": reason,
            "reversal_setl_id": reversal.setl_id,
            "owed_back": owed,
        },
        region=person.region,
        at=now,
    )
    return Reversal(reversal.setl_id, owed)
