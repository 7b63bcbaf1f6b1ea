"""智能审核 rules, table-driven: for each rule, cases that fire and cases that do not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from yibao.services.smart_audit import RULES, ClaimFacts, RestrictedItem, rule_table, run

BASE = ClaimFacts(
    visit_date=date(2025, 5, 10),
    submitted_on=date(2025, 6, 1),
    claim_type="inpatient",
    institution_name="某县人民医院",
    invoice_no="FP001",
    item_names=("住院床位费", "手术费"),
    items_total_fen=1_185_050,
    medfee_fen=1_185_050,
    sex="male",
    age=45,
    enrolled=True,
    deadline_months=12,
)
PSA = RestrictedItem("前列腺特异性抗原测定", "male", None, None)
PAP = RestrictedItem("宫颈细胞学检查", "female", None, None)
CHILD = RestrictedItem("小儿推拿", None, None, 14)
SENIOR = RestrictedItem("老年综合评估", None, 60, None)

CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    # rule: ([overrides that fire], [overrides that do not fire])
    "DUP_INVOICE": (
        [{"other_claims_same_invoice": 1}, {"other_claims_same_invoice": 2}, {"other_claims_same_invoice": 9},
         {"settled_directly": (("S1", date(2025, 5, 10)),)},
         {"settled_directly": (("S1", date(2025, 5, 10)),), "other_claims_same_invoice": 1}],
        [{}, {"other_claims_same_invoice": 0}, {"invoice_no": "FP002"}, {"settled_directly": ()}],
    ),
    "NOT_ENROLLED": (
        [{"enrolled": False}, {"enrolled": False, "claim_type": "outpatient"}, {"enrolled": False, "age": 70}],
        [{}, {"enrolled": True, "age": 70}, {"enrolled": True, "claim_type": "outpatient"}],
    ),
    "AFTER_DEATH": (
        [{"death_date": date(2025, 5, 9)}, {"death_date": date(2024, 1, 1)}, {"death_date": date(2025, 5, 1)}],
        [{}, {"death_date": date(2025, 5, 10)}, {"death_date": date(2025, 12, 1)}],
    ),
    "EXCLUDED_CAUSE": (
        [{"item_names": ("双眼皮美容手术",)}, {"item_names": ("交通事故清创",)}, {"institution_name": "某整形医院"}],
        [{}, {"item_names": ("阑尾切除术",)}, {"institution_name": "某市中心医院"}],
    ),
    "PAST_DEADLINE": (
        [{"submitted_on": date(2026, 5, 11)}, {"deadline_months": 6, "submitted_on": date(2025, 11, 11)},
         {"deadline_months": None, "submitted_on": date(2027, 1, 1)}],
        [{}, {"submitted_on": date(2026, 5, 10)}, {"deadline_months": 6, "submitted_on": date(2025, 11, 10)}],
    ),
    "READMISSION": (
        [{"other_inpatient": ((date(2025, 5, 1), "某县人民医院"),)},
         {"other_inpatient": ((date(2025, 4, 25), "某县人民医院"),)},
         {"other_inpatient": ((date(2025, 1, 1), "x"), (date(2025, 5, 9), "某县人民医院"))}],
        [{}, {"other_inpatient": ((date(2025, 4, 24), "某县人民医院"),)},
         {"other_inpatient": ((date(2025, 5, 1), "另一家医院"),)}],
    ),
    "SEX_AGE_LIMIT": (
        [{"restricted": (PAP,)}, {"restricted": (CHILD,)}, {"restricted": (SENIOR,), "age": 59}],
        [{}, {"restricted": (PSA,)}, {"restricted": (SENIOR,), "age": 60}],
    ),
    "AMOUNTS_MISMATCH": (
        [{"items_total_fen": 1_185_051}, {"medfee_fen": 0}, {"items_total_fen": 100, "medfee_fen": 200}],
        [{}, {"items_total_fen": 5, "medfee_fen": 5}, {"items_total_fen": 0, "medfee_fen": 0}],
    ),
    "TWO_PLACES": (
        [{"other_visits": ((date(2025, 5, 8), date(2025, 5, 12), "另一家医院"),)},
         {"other_visits": ((date(2025, 5, 10), date(2025, 5, 10), "某药店"),)},
         {"other_visits": ((date(2025, 5, 1), date(2025, 5, 30), "某中医院"),)}],
        [{}, {"other_visits": ((date(2025, 5, 10), date(2025, 5, 10), "某县人民医院"),)},
         {"other_visits": ((date(2025, 5, 11), date(2025, 5, 20), "另一家医院"),)}],
    ),
}  # fmt: skip


def test_every_rule_has_its_table_of_cases_and_its_data() -> None:
    assert set(CASES) == set(RULES) == set(rule_table())
    for code, (fire, quiet) in CASES.items():
        assert len(fire) >= 3, code
        assert len(quiet) >= 3, code


@pytest.mark.parametrize(
    ("code", "overrides"),
    [(code, o) for code, (fire, _) in CASES.items() for o in fire],
)
def test_the_rule_fires(code: str, overrides: dict[str, Any]) -> None:
    flags = run(replace(BASE, **overrides))
    assert any(f.code == code for f in flags), flags


@pytest.mark.parametrize(
    ("code", "overrides"),
    [(code, o) for code, (_, quiet) in CASES.items() for o in quiet],
)
def test_the_rule_does_not_fire(code: str, overrides: dict[str, Any]) -> None:
    flags = run(replace(BASE, **overrides))
    assert not any(f.code == code for f in flags), flags


def test_a_disabled_rule_and_its_parameters_are_data() -> None:
    table = {code: dict(spec) for code, spec in rule_table().items()}
    facts = replace(BASE, other_inpatient=((date(2025, 4, 1), "某县人民医院"),))
    assert not any(f.code == "READMISSION" for f in run(facts, table))
    table["READMISSION"] = {**table["READMISSION"], "params": {"days": 60}}
    assert any(f.code == "READMISSION" for f in run(facts, table))
    table["READMISSION"] = {**table["READMISSION"], "enabled": False}
    assert not any(f.code == "READMISSION" for f in run(facts, table))


def test_an_invoice_settled_directly_names_the_settlement_and_the_hospital() -> None:
    facts = replace(BASE, settled_directly=(("20250510S1", date(2025, 5, 10)),))
    (found,) = run(facts)
    flag = str(found)
    assert flag.startswith("DUP_INVOICE 同一张发票重复报销，或已在医院直接结算：发票 FP001 ")
    assert "已于 2025-05-10 在某县人民医院直接结算（结算号 20250510S1，未撤销）" in flag
    assert "已撤销" in rule_table()["DUP_INVOICE"]["explanation"]  # the choice, stated


def test_a_clean_claim_raises_no_flag() -> None:
    assert run(BASE) == []
