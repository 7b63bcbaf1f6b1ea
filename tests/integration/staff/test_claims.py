from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from claim_helpers import submit_claim
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser, enrolled_member

from yibao.domain.money import to_fen
from yibao.persistence.tables import (
    Application,
    AuditEntry,
    Notice,
    PaymentItem,
    Person,
    SettlementFund,
    SettlementRecord,
)
from yibao.services import audit, bank_accounts, claim_review, ledger, payments
from yibao.services.errors import Conflict, InvalidInput, ServiceError

LATER = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
NO_SECOND = 10**12  # a threshold no claim reaches


def _reviewer(session: Session, name: str, role: str = "reviewer") -> claim_review.Reviewer:
    member, _, _ = enrolled_member(session, name, role)
    return claim_review.Reviewer(audit.Actor(member.username, member.id), ())


def _count(session: Session, table: type) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_approving_a_claim_writes_a_settlement_with_fund_rows_and_takes_nothing_from_the_account(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    ledger.credit(session, person, 50_000, kind="monthly_credit", reason="期初")
    balance = ledger.account_of(session, person).balance_fen  # type: ignore[union-attr]
    app = submit_claim(session, person)
    wang = _reviewer(session, "wang")
    outcome = claim_review.approve(session, app.id, wang, second_review_fen=NO_SECOND, now=LATER)
    assert outcome == "approved"
    assert app.status == "approved"
    details = json.loads(app.details)
    assert details["approved_amount"] == details["estimate"]["fund_pay_sumamt"]
    setl = session.scalar(
        select(SettlementRecord).where(SettlementRecord.setl_id == details["setl_id"])
    )
    assert setl is not None
    assert setl.policy == "nmg-employee"
    assert setl.policy_version == "2024-01-01"
    assert setl.acct_pay_fen == 0
    assert f"{setl.fund_pay_sumamt_fen / 100:.2f}" == details["approved_amount"]
    assert json.loads(setl.ytd_delta)
    funds = session.scalars(
        select(SettlementFund).where(SettlementFund.settlement_id == setl.id)
    ).all()
    assert sum(f.fund_payamt_fen for f in funds) == setl.fund_pay_sumamt_fen
    assert ledger.account_of(session, person).balance_fen == balance  # type: ignore[union-attr]
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "claim.approve" in actions


def test_above_the_amount_a_second_different_reviewer_must_approve(
    session: Session, make_person: Callable[..., Person]
) -> None:
    app = submit_claim(session, make_person())
    wang, li = _reviewer(session, "wang"), _reviewer(session, "lisi")
    assert claim_review.approve(session, app.id, wang, second_review_fen=100, now=LATER) == "first"
    assert app.status == "reviewing"
    with pytest.raises(InvalidInput, match="不能复核自己的初审"):
        claim_review.approve(session, app.id, wang, second_review_fen=100, now=LATER)
    assert claim_review.approve(session, app.id, li, second_review_fen=100, now=LATER) == "approved"
    assert app.status == "approved"


def test_another_amount_needs_a_reason_and_a_second_reviewer(
    session: Session, make_person: Callable[..., Person]
) -> None:
    app = submit_claim(session, make_person())
    wang, li = _reviewer(session, "wang"), _reviewer(session, "lisi")
    with pytest.raises(InvalidInput, match="须写明原因"):
        claim_review.approve(
            session, app.id, wang, amount="100.00", second_review_fen=NO_SECOND, now=LATER
        )
    with pytest.raises(InvalidInput, match="不能超过医疗费总额"):
        claim_review.approve(
            session,
            app.id,
            wang,
            amount="99999",
            reason="x",
            second_review_fen=NO_SECOND,
            now=LATER,
        )
    for bad in ("abc", "-1", "1.001", "NaN"):
        with pytest.raises(InvalidInput):
            claim_review.approve(
                session,
                app.id,
                wang,
                amount=bad,
                reason="x",
                second_review_fen=NO_SECOND,
                now=LATER,
            )
    first = claim_review.approve(
        session,
        app.id,
        wang,
        amount="100.00",
        reason="部分药品超量",
        second_review_fen=NO_SECOND,
        now=LATER,
    )
    assert first == "first"
    claim_review.approve(session, app.id, li, second_review_fen=NO_SECOND, now=LATER)
    assert json.loads(app.details)["approved_amount"] == "100.00"


def test_return_needs_a_template_reject_needs_a_reason_and_the_person_is_told(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    app = submit_claim(session, person)
    wang = _reviewer(session, "wang")
    with pytest.raises(InvalidInput, match="请选择退回原因"):
        claim_review.return_claim(session, app.id, wang, template="随便", note="", now=LATER)
    with pytest.raises(InvalidInput, match="须写明说明"):
        claim_review.return_claim(
            session, app.id, wang, template="其他（见说明）", note=" ", now=LATER
        )
    claim_review.return_claim(
        session, app.id, wang, template=claim_review.RETURN_TEMPLATES[1], note="", now=LATER
    )
    assert app.status == "returned"
    other = submit_claim(session, person, invoice_no="FP0002")
    with pytest.raises(InvalidInput, match="须写明原因"):
        claim_review.reject(session, other.id, wang, reason="  ", now=LATER)
    claim_review.reject(session, other.id, wang, reason="非医保支付范围", now=LATER)
    assert other.status == "rejected"
    titles = session.scalars(select(Notice.title).where(Notice.person_id == person.id)).all()
    assert "手工报销：退回补充材料" in titles
    assert "手工报销：未通过" in titles


@pytest.mark.parametrize("first_index", [0, 1])
def test_of_two_claims_for_one_invoice_exactly_one_is_accepted_whatever_the_order(
    session: Session, make_person: Callable[..., Person], first_index: int
) -> None:
    a = submit_claim(session, make_person(), invoice_no="FP-SAME-1")
    b = submit_claim(session, make_person(), invoice_no="fp-same-1")
    wang = _reviewer(session, "wang")
    first, second = (a, b) if first_index == 0 else (b, a)
    claim_review.approve(session, first.id, wang, second_review_fen=NO_SECOND, now=LATER)
    with pytest.raises(Conflict, match="已有另一件报销申请获批"):
        claim_review.approve(session, second.id, wang, second_review_fen=NO_SECOND, now=LATER)
    assert first.status == "approved"


def test_a_payment_batch_pays_the_bank_account_once_and_the_person_sees_paid(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    app = submit_claim(session, person)
    claim_review.approve(
        session, app.id, _reviewer(session, "wang"), second_review_fen=NO_SECOND, now=LATER
    )
    payer = _reviewer(session, "zhou", "payer")
    batch = payments.build_batch(session, payer.actor, (), LATER)
    assert batch.total_fen == to_fen(Decimal(json.loads(app.details)["approved_amount"]))
    with pytest.raises(InvalidInput, match="没有待支付"):
        payments.build_batch(session, payer.actor, (), LATER)
    assert "6222020200112233445" in payments.bank_file(session, batch)
    assert bank_accounts.mask("6222020200112233445") == "6222 **** **** 3445"
    payments.mark_paid(session, batch, payer.actor, LATER)
    assert app.status == "paid"
    with pytest.raises(InvalidInput, match="已支付"):
        payments.mark_paid(session, batch, payer.actor, LATER)
    paid = session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.pay")).all()
    assert len(paid) == 1
    assert "6222 **** **** 3445" in paid[0].after
    assert "6222020200112233445" not in paid[0].after


def _race(
    session_factory: sessionmaker[Session], work: Callable[[Session], object]
) -> list[object]:
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            with session_factory() as s, s.begin():
                results.append(work(s))
        except ServiceError as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_batches_built_at_the_same_moment_take_each_claim_once(
    session_factory: sessionmaker[Session], make_person: Callable[..., Person], session: Session
) -> None:
    for n in range(3):
        app = submit_claim(session, make_person(), invoice_no=f"FP-RACE-{n}")
        claim_review.approve(
            session, app.id, _reviewer(session, f"rev{n}"), second_review_fen=NO_SECOND, now=LATER
        )
    payer = _reviewer(session, "zhou", "payer")
    session.commit()
    results = _race(session_factory, lambda s: payments.build_batch(s, payer.actor, (), LATER).id)
    built = [r for r in results if isinstance(r, int)]
    assert len(built) == 1
    with session_factory() as s:
        assert _count(s, PaymentItem) == 3
        ids = s.scalars(select(PaymentItem.application_id)).all()
        assert len(set(ids)) == 3


def test_two_approvals_at_the_same_moment_of_claims_for_one_invoice_accept_exactly_one(
    session_factory: sessionmaker[Session], make_person: Callable[..., Person], session: Session
) -> None:
    apps = [submit_claim(session, make_person(), invoice_no="FP-TWICE") for _ in range(2)]
    reviewers = [_reviewer(session, "wang"), _reviewer(session, "lisi")]
    session.commit()
    ids = iter([(apps[0].id, reviewers[0]), (apps[1].id, reviewers[1])])
    lock = threading.Lock()

    def work(s: Session) -> object:
        with lock:
            app_id, reviewer = next(ids)
        return claim_review.approve(s, app_id, reviewer, second_review_fen=NO_SECOND, now=LATER)

    results = _race(session_factory, work)
    assert sorted(map(str, results))[0] == "approved"
    assert sum(1 for r in results if r == "approved") == 1
    with session_factory() as s:
        statuses = sorted(s.scalars(select(Application.status).where(Application.kind == "claim")))
        assert statuses == ["approved", "reviewing"] or statuses == ["approved", "submitted"]


def test_reviewers_cannot_pay_payers_cannot_approve_and_admins_do_neither(
    signed_in: Callable[..., StaffBrowser],
    session_factory: sessionmaker[Session],
    make_person: Callable[..., Person],
    session: Session,
) -> None:
    app = submit_claim(session, make_person())
    session.commit()
    reviewer, payer, admin = signed_in("reviewer"), signed_in("payer"), signed_in("admin")
    assert reviewer.post("/staff/payments/batches").status_code == 403
    for who in (payer, admin):
        r = who.post(f"/staff/claims/{app.id}/decide", {"decision": "approve"})
        assert r.status_code == 403
    assert admin.post("/staff/payments/batches").status_code == 403
    first = reviewer.post(f"/staff/claims/{app.id}/decide", {"decision": "approve"})
    assert first.headers["location"].endswith("done=first")
    again = reviewer.post(f"/staff/claims/{app.id}/decide", {"decision": "approve"})
    assert again.status_code == 400
    assert "不能复核自己的初审" in again.text
    second = signed_in("reviewer").post(f"/staff/claims/{app.id}/decide", {"decision": "approve"})
    assert second.headers["location"].endswith("done=approved")
    page = payer.get("/staff/payments")
    assert "6222 **** **** 3445" in page.text
    assert "6222020200112233445" not in page.text


def test_a_region_limited_reviewer_sees_only_claims_of_their_regions(
    signed_in: Callable[..., StaffBrowser], make_person: Callable[..., Person], session: Session
) -> None:
    app = submit_claim(session, make_person(region="150100"))
    session.commit()
    outside = signed_in("reviewer", regions=("14",))
    assert f'href="/staff/claims/{app.id}"' not in outside.get("/staff/claims").text
    assert outside.get(f"/staff/claims/{app.id}").status_code == 404
    assert (
        outside.post(f"/staff/claims/{app.id}/decide", {"decision": "approve"}).status_code == 404
    )
    inside = signed_in("reviewer", regions=("15",))
    detail = inside.get(f"/staff/claims/{app.id}")
    assert detail.status_code == 200
    assert "结算测算" in detail.text
    assert "统筹基金" in detail.text


def test_the_queue_shows_the_audit_flags_and_filters_on_them(
    signed_in: Callable[..., StaffBrowser], make_person: Callable[..., Person], session: Session
) -> None:
    # The citizen side refuses one person's second claim for an invoice; two persons can.
    twice = [submit_claim(session, make_person(), invoice_no="FP-DUP") for _ in range(2)]
    clean = submit_claim(session, make_person(), invoice_no="FP-CLEAN")
    session.commit()
    reviewer = signed_in("reviewer")
    flagged = reviewer.get("/staff/claims?flagged=1")
    assert "DUP_INVOICE" in flagged.text
    assert f'href="/staff/claims/{twice[0].id}"' in flagged.text
    assert f'href="/staff/claims/{clean.id}"' not in flagged.text
    detail = reviewer.get(f"/staff/claims/{twice[1].id}")
    assert "智能审核提示" in detail.text
    assert "TWO_PLACES" not in detail.text  # same hospital, same day: not two places


def test_two_payers_marking_one_batch_paid_at_once_pay_it_once(
    session_factory: sessionmaker[Session], make_person: Callable[..., Person], session: Session
) -> None:
    app = submit_claim(session, make_person(), invoice_no="FP-PAY-ONCE")
    claim_review.approve(
        session, app.id, _reviewer(session, "wang"), second_review_fen=NO_SECOND, now=LATER
    )
    payer = _reviewer(session, "zhou", "payer")
    batch_id = payments.build_batch(session, payer.actor, (), LATER).id
    session.commit()

    def pay(s: Session) -> object:
        batch = payments.get(s, batch_id, ())
        payments.mark_paid(s, batch, payer.actor, LATER)
        return "paid"

    results = _race(session_factory, pay)
    assert sum(1 for r in results if r == "paid") == 1
    with session_factory() as s:
        paid = s.scalars(select(AuditEntry).where(AuditEntry.action == "payment.pay")).all()
        assert len(paid) == 1
