"""Claims for the back-office tests: submitted through the citizen-side service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from yibao.persistence.tables import Application, Person
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
