"""The bank account for a claim's payment: encrypted at rest, masked on every page and in the
audit log, decrypted only in the bank payment file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from claim_helpers import submit_claim
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from staff_helpers import StaffBrowser, enrolled_member

from yibao.persistence.tables import AuditEntry, Person
from yibao.services import applications, audit, bank_accounts, claim_review, payments

NUMBER = "6222020200112233445"
MASKED = "6222 **** **** 3445"
LATER = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
NO_SECOND = 10**12


def _stored_details(session: Session, application_id: int) -> str:
    return str(
        session.execute(
            text("SELECT details FROM applications WHERE id = :id"), {"id": application_id}
        ).scalar_one()
    )


def test_the_stored_claim_holds_the_bank_account_only_encrypted_and_masked(
    session: Session, make_person: Callable[..., Person]
) -> None:
    app = submit_claim(session, make_person())
    session.flush()
    stored = _stored_details(session, app.id)
    assert NUMBER not in stored
    assert "3445" in stored  # the mask's last four digits, nothing more
    details = applications.details_of(app)
    assert details[bank_accounts.MASKED] == MASKED
    assert bank_accounts.number_of(details) == NUMBER


def test_a_completed_claim_is_sealed_again_with_its_new_account(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    app = submit_claim(session, person)
    applications.decide(session, app.id, "reviewing", now=LATER)
    applications.decide(session, app.id, "returned", "请补充银行卡信息", now=LATER)
    form = {
        "claim_case": "not_networked",
        "claim_type": "inpatient",
        "institution_name": "某县人民医院",
        "hospital_level": "2",
        "visit_date": "2025-05-10",
        "invoice_no": "FP20250510001",
        "bank_account": "6217 0000 1111 2222 333",
        "items": [{"name": "住院床位费", "list_type": "A", "amount": "3600.50"}],
    }
    applications.resubmit(session, person, app.id, form, now=LATER)
    session.flush()
    stored = _stored_details(session, app.id)
    assert "6217000011112222333" not in stored
    assert NUMBER not in stored
    assert bank_accounts.number_of(applications.details_of(app)) == "6217000011112222333"


def test_the_bank_file_has_the_full_number_and_the_audit_log_only_the_mask(
    session: Session, make_person: Callable[..., Person]
) -> None:
    app = submit_claim(session, make_person())
    member, _, _ = enrolled_member(session, "wang", "reviewer")
    reviewer = claim_review.Reviewer(audit.Actor(member.username, member.id), ())
    claim_review.approve(session, app.id, reviewer, second_review_fen=NO_SECOND, now=LATER)
    payer, _, _ = enrolled_member(session, "zhou", "payer")
    actor = audit.Actor(payer.username, payer.id)
    batch = payments.build_batch(session, actor, (), LATER)
    assert NUMBER in payments.bank_file(session, batch)
    payments.mark_paid(session, batch, actor, LATER)
    logged = session.scalars(select(AuditEntry)).all()
    assert logged
    assert all(NUMBER not in f"{e.before}{e.after}" for e in logged)
    assert any(MASKED in e.after for e in logged)


def test_the_staff_claim_page_shows_the_account_masked(
    signed_in: Callable[..., StaffBrowser],
    make_person: Callable[..., Person],
    session: Session,
) -> None:
    app = submit_claim(session, make_person())
    session.commit()
    page = signed_in("reviewer").get(f"/staff/claims/{app.id}").text
    assert MASKED in page
    assert NUMBER not in page


def test_an_account_stored_before_encryption_is_still_masked_and_paid() -> None:
    legacy = {"bank_account": NUMBER}
    assert bank_accounts.masked_of(legacy) == MASKED
    assert bank_accounts.number_of(legacy) == NUMBER
    assert bank_accounts.masked_of({}) == ""
