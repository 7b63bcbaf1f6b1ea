"""撤销 of an approved 手工报销: the settlement reversed through the services layer (the
year-to-date row restored exactly), the claim → 已撤销 with its timeline row and 站内消息,
the amount owed back when it was already paid, at most once, and the pages for 支付/管理员."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from claim_helpers import submit_claim
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from staff_helpers import StaffBrowser, enrolled_member

from yibao.persistence.tables import (
    ApplicationEvent,
    AuditEntry,
    Notice,
    Person,
    SettlementFund,
    SettlementRecord,
    YearToDateRow,
)
from yibao.services import audit, claim_reversal, claim_review, payments
from yibao.services import settlement as settlement_service
from yibao.services.errors import Conflict, InvalidInput, NotFound

LATER = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
LATEST = datetime(2025, 6, 9, 2, 0, tzinfo=UTC)
NO_SECOND = 10**12


def _actor(session: Session, name: str, role: str) -> audit.Actor:
    member, _, _ = enrolled_member(session, name, role)
    return audit.Actor(member.username, member.id)


def _approved(session: Session, person: Person, invoice: str) -> int:
    app = submit_claim(session, person, invoice_no=invoice)
    member, _, _ = enrolled_member(session, f"rev-{invoice.lower()}", "reviewer")
    reviewer = claim_review.Reviewer(audit.Actor(member.username, member.id), ())
    claim_review.approve(session, app.id, reviewer, second_review_fen=NO_SECOND, now=LATER)
    return app.id


def _ytd(session: Session, person: Person) -> str | None:
    session.expire_all()
    row = session.get(YearToDateRow, (person.id, 2025))
    return None if row is None else row.totals


def _count(session: Session, table: type) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_reversing_an_approved_claim_negates_its_settlement_and_restores_the_year_exactly(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    _approved(session, person, "FP-EARLIER")
    before = _ytd(session, person)
    app_id = _approved(session, person, "FP-REVERSE")
    assert _ytd(session, person) != before
    payer = _actor(session, "zhou", "payer")
    done = claim_reversal.reverse_claim(
        session, app_id, payer, (), reason="发票经核实为伪造", now=LATEST
    )
    assert _ytd(session, person) == before
    assert done.owed_back == "0.00"
    app, _ = claim_reversal.load(session, app_id, ())
    details = json.loads(app.details)
    original = session.scalars(
        select(SettlementRecord).where(SettlementRecord.setl_id == details["setl_id"])
    ).one()
    reversal = session.scalars(
        select(SettlementRecord).where(SettlementRecord.setl_id == done.setl_id)
    ).one()
    assert original.reversed
    assert reversal.kind == "reversal"
    assert reversal.reverses_id == original.id
    assert reversal.fund_pay_sumamt_fen == -original.fund_pay_sumamt_fen
    assert reversal.medfee_fen == -original.medfee_fen
    funds = session.scalars(
        select(SettlementFund.fund_payamt_fen).where(SettlementFund.settlement_id == reversal.id)
    ).all()
    assert sum(funds) == -original.fund_pay_sumamt_fen
    assert app.status == "reversed"
    assert details["reversal_setl_id"] == done.setl_id
    assert "owed_back" not in details
    events = session.scalars(
        select(ApplicationEvent).where(ApplicationEvent.application_id == app_id)
    ).all()
    assert (events[-1].status, events[-1].reason) == ("reversed", "发票经核实为伪造")
    notice = session.scalars(
        select(Notice).where(Notice.application_id == app_id).order_by(Notice.id.desc())
    ).first()
    assert notice is not None
    assert "已撤销" in notice.title
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "claim.reverse")).one()
    assert entry.staff_id == payer.staff_id
    assert json.loads(entry.before)["status"] == "approved"
    assert json.loads(entry.after)["reversal_setl_id"] == done.setl_id


def test_a_paid_claim_reversed_records_the_money_owed_back(
    session: Session, make_person: Callable[..., Person]
) -> None:
    app_id = _approved(session, make_person(), "FP-PAID")
    payer = _actor(session, "zhou", "payer")
    batch = payments.build_batch(session, payer, (), LATER)
    with pytest.raises(Conflict, match="待支付的支付批次"):
        claim_reversal.reverse_claim(session, app_id, payer, (), reason="重复报销", now=LATEST)
    payments.mark_paid(session, batch, payer, LATER)
    admin = _actor(session, "admin1", "admin")
    done = claim_reversal.reverse_claim(session, app_id, admin, (), reason="重复报销", now=LATEST)
    app, _ = claim_reversal.load(session, app_id, ())
    details = json.loads(app.details)
    assert done.owed_back == details["approved_amount"] == details["owed_back"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "claim.reverse")).one()
    assert json.loads(entry.after)["owed_back"] == details["approved_amount"]
    assert json.loads(entry.before)["status"] == "paid"


def test_a_claim_is_reversed_only_once_and_only_when_approved_or_paid_with_a_reason(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    payer = _actor(session, "zhou", "payer")
    pending = submit_claim(session, person, invoice_no="FP-PENDING")
    with pytest.raises(InvalidInput, match="只有已通过或已支付"):
        claim_reversal.reverse_claim(session, pending.id, payer, (), reason="x", now=LATEST)
    app_id = _approved(session, person, "FP-ONCE")
    settlements = _count(session, SettlementRecord)
    for blank in ("", "   "):
        with pytest.raises(InvalidInput, match="须写明原因"):
            claim_reversal.reverse_claim(session, app_id, payer, (), reason=blank, now=LATEST)
    with pytest.raises(InvalidInput, match="不能超过"):
        claim_reversal.reverse_claim(session, app_id, payer, (), reason="长" * 501, now=LATEST)
    assert _count(session, SettlementRecord) == settlements
    claim_reversal.reverse_claim(session, app_id, payer, (), reason="核实有误", now=LATEST)
    with pytest.raises(Conflict, match="不能重复撤销"):
        claim_reversal.reverse_claim(session, app_id, payer, (), reason="再来一次", now=LATEST)
    assert _count(session, SettlementRecord) == settlements + 1
    with pytest.raises(NotFound):
        claim_reversal.reverse_claim(session, 10**6, payer, (), reason="x", now=LATEST)


def test_the_settlement_itself_cannot_be_reversed_twice_even_if_the_claim_looks_approved(
    session: Session, make_person: Callable[..., Person]
) -> None:
    """Two staff reversing at once: the second sees the original already reversed."""
    app_id = _approved(session, make_person(), "FP-RACE")
    app, _ = claim_reversal.load(session, app_id, ())
    setl_id = json.loads(app.details)["setl_id"]
    settlement_service.reverse_in_session(session, setl_id, msgid="m1", infno="T", now=LATEST)
    with pytest.raises(Conflict, match="不能重复撤销"):
        claim_reversal.reverse_claim(
            session, app_id, _actor(session, "zhou", "payer"), (), reason="x", now=LATEST
        )


def test_the_reversal_pages_for_payer_and_admin_check_the_reason_beside_the_field(
    signed_in: Callable[..., StaffBrowser],
    make_person: Callable[..., Person],
    session: Session,
) -> None:
    app_id = _approved(session, make_person(region="150100"), "FP-PAGE")
    session.commit()
    payer = signed_in("payer")
    listing = payer.get("/staff/reversals")
    assert f'href="/staff/reversals/{app_id}"' in listing.text
    page = payer.get(f"/staff/reversals/{app_id}")
    assert page.status_code == 200
    assert '<label for="f-reason">撤销原因</label>' in page.text
    assert "6222 **** **** 3445" in page.text
    assert "6222020200112233445" not in page.text
    bad = payer.post(f"/staff/reversals/{app_id}", {"reason": "  "})
    assert bad.status_code == 400
    assert 'id="e-reason">撤销须写明原因' in bad.text
    assert (
        signed_in("reviewer").post(f"/staff/reversals/{app_id}", {"reason": "x"}).status_code == 403
    )
    outside = signed_in("payer", regions=("14",))
    assert outside.get(f"/staff/reversals/{app_id}").status_code == 404
    assert outside.post(f"/staff/reversals/{app_id}", {"reason": "x"}).status_code == 404
    ok = signed_in("admin").post(f"/staff/reversals/{app_id}", {"reason": "发票作废"})
    assert ok.status_code == 303
    shown = payer.get(f"/staff/reversals/{app_id}").text
    assert "已撤销" in shown
    assert "发票作废" in shown
    again = payer.post(f"/staff/reversals/{app_id}", {"reason": "再撤一次"})
    assert again.status_code == 409
    assert "不能重复撤销" in again.text
