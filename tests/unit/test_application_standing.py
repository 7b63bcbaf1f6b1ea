"""How approved filings and certifications change a settlement's case terms (pure)."""

from __future__ import annotations

from datetime import date

from yibao.services.application_effects import CaseTerms, apply_standing

ON = date(2025, 6, 10)
NORMAL = CaseTerms("normal", False, "A", "I10")


def terms(rows: list[tuple[object, ...]], **kw: object) -> CaseTerms:
    args: dict[str, object] = {
        "on": ON,
        "person_region": "140100",
        "institution_code": "H15010200001",
        "institution_region": "150100",
        "engine_med": "inpatient",
        "visit_disease": None,
    }
    args.update(kw)
    return apply_standing(rows, NORMAL, **args)  # type: ignore[arg-type]


def test_a_referral_filing_for_the_hospital_makes_a_normal_stay_a_transfer() -> None:
    rows = [("filing", "referral", "150100", "H15010200001", date(2025, 6, 1), date(2025, 6, 30))]
    assert terms(rows) == CaseTerms("transfer_out", True, "A", "I10")


def test_a_residence_filing_lifts_the_first_visit_rule_without_changing_the_route() -> None:
    rows = [("filing", "long_term", "150000", None, "2025-01-01", None)]
    assert terms(rows) == CaseTerms("normal", True, "A", "I10")


def test_a_filing_out_of_force_elsewhere_or_for_another_hospital_changes_nothing() -> None:
    assert terms([("filing", "referral", "150100", None, date(2025, 7, 1), None)]) == NORMAL
    assert terms([("filing", "temporary", "110000", None, date(2025, 1, 1), None)]) == NORMAL
    assert terms([("filing", "referral", "150100", "H15010200002", "2025-01-01", None)]) == NORMAL
    home = [("filing", "long_term", "140000", None, "2025-01-01", None)]
    assert terms(home, institution_region="140100") == NORMAL


def test_an_emergency_stays_an_emergency_under_a_referral_filing() -> None:
    rows = [("filing", "referral", "150100", None, date(2025, 6, 1), None)]
    emergency = apply_standing(
        rows, CaseTerms("emergency", False, None, None), on=ON, person_region="140100",
        institution_code="H15010200001", institution_region="150100", engine_med="inpatient",
        visit_disease=None,
    )  # fmt: skip
    assert emergency.route == "emergency"


def test_the_certified_class_replaces_the_hospitals_for_a_chronic_visit_only() -> None:
    rows = [
        ("chronic", "B", "E11", None, date(2025, 1, 1), date(2025, 12, 31)),
        ("chronic", "B", "I10", None, date(2025, 1, 1), date(2025, 12, 31)),
    ]
    chronic = terms(rows, engine_med="chronic_outpatient", visit_disease="I10")
    assert (chronic.chronic_class, chronic.chronic_disease) == ("B", "I10")
    other = terms(rows, engine_med="chronic_outpatient", visit_disease="J44")
    assert (other.chronic_class, other.chronic_disease) == ("B", "E11")
    assert terms(rows) == NORMAL
    expired = [("chronic", "B", "I10", None, date(2024, 1, 1), date(2024, 12, 31))]
    assert terms(expired, engine_med="chronic_outpatient") == NORMAL
