"""The demo data holds what the README's examples use (issue 6, item 8)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from yibao.services import auth, catalog, demo, institutions, ledger, persons

ROOT = Path(__file__).resolve().parents[2]


def exchange_fees() -> list[tuple[str, str, str, str]]:
    spec = importlib.util.spec_from_file_location("hx", ROOT / "examples" / "hospital_exchange.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.FEES)


def test_the_demo_data_has_the_readme_hospital_patient_citizen_and_codes(session: Session) -> None:
    report = demo.load_demo(session)
    session.commit()
    keys = {code: key for code, _name, key in report.keys}
    hospital = institutions.authenticate(session, keys[demo.EXAMPLE_HOSPITAL])
    assert hospital is not None
    assert hospital.level == 3
    patient = persons.find_by_certno(session, demo.EXAMPLE_PATIENT_CERTNO)
    assert patient is not None
    assert (patient.name, patient.policy_id) == ("李四", "national-employee")
    assert ledger.balance_fen(session, patient) == 30000
    session.commit()  # sign-in uses sessions of its own (and must not wait for this one)
    factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    citizen = auth.login(factory, demo.CITIZEN_CERTNO, demo.CITIZEN_PASSWORD, datetime.now(UTC))
    assert citizen.name == "王芳"
    for code, name, _cnt, _price in exchange_fees():
        item = catalog.lookup(session, code, date.today())
        assert item is not None, code
        assert item.name == name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for documented in (
        demo.EXAMPLE_HOSPITAL,
        demo.EXAMPLE_PATIENT_CERTNO,
        demo.CITIZEN_CERTNO,
        demo.CITIZEN_PASSWORD,
    ):
        assert documented in readme
