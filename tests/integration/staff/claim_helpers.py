"""Claims for the back-office tests: submitted through the citizen-side service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from yibao.persistence.tables import Application, Person
from yibao.persistence.tables.citizens import CitizenUser, IdentityCheck
from yibao.services import applications
from yibao.services.applications import Upload

NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32
FILES = [
    Upload("invoice", "发票.png", "image/png", PNG),
    Upload("fee_list", "清单.png", "image/png", PNG),
    Upload("diagnosis", "诊断.pdf", "application/pdf", b"%PDF-1.4 test"),
    Upload("discharge", "出院小结.png", "image/png", PNG),
]


def submit_claim(session: Session, person: Person, **overrides: Any) -> Application:
    form: dict[str, Any] = {
        "claim_case": "not_networked",
        "claim_type": "inpatient",
        "institution_name": "某县人民医院",
        "hospital_level": "2",
        "visit_date": "2025-05-10",
        "invoice_no": "FP20250510001",
        "bank_account": "6222020200112233445",
        "items": [
            {"name": "住院床位费", "list_type": "A", "amount": "3600.50"},
            {"name": "手术费", "list_type": "B", "amount": "8250"},
        ],
    }
    form.update(overrides)
    return applications.submit(session, person, "claim", form, FILES, now=NOW)


def pending_application(session: Session, person: Person, kind: str) -> Application:
    """An application of ``kind`` waiting for review (stored directly: the queues' tests
    reject it, which changes nothing else)."""
    app = Application(
        person_id=person.id, kind=kind, status="submitted", details="{}", reason="",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    session.add(app)
    session.flush()
    return app


def manual_identity_check(session: Session, person: Person) -> IdentityCheck:
    user = CitizenUser(
        phone_ciphertext=b"x", phone_hash=f"h{person.id}", password_hash="x",
        person_id=person.id, failed_logins=0,
    )  # fmt: skip
    session.add(user)
    session.flush()
    check = IdentityCheck(
        user_id=user.id, verifier="none", result="manual_review", message="已转人工审核",
        id_photo="0" * 32 + ".png", selfie="1" * 32 + ".png", created_at=NOW,
    )  # fmt: skip
    session.add(check)
    session.flush()
    return check
