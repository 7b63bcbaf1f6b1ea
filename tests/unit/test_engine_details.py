"""Engine details the spec leaves to a reading: each test names the reading it pins down."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.rules import settle, split_item
from yibao.rules.case import Item


def outpatient(amount: str, eligible_before: str, paid_before: str) -> dict[str, Any]:
    return {
        "policy": "taiyuan-resident",
        "date": "2025-05-01",
        "person": {"group": "adult"},
        "year_to_date": {
            "outpatient_eligible": eligible_before,
            "outpatient_fund_paid": paid_before,
        },
        "encounter": {
            "med_type": "outpatient",
            "hospital_level": 1,
            "items": [{"name": "药", "list_type": "A", "amount": amount}],
        },
    }


def test_yearly_axis_rounds_each_encounters_payment_once() -> None:
    # Spec 2: rounding happens at each fund's payment for the encounter, and nowhere else.
    # Three visits whose 30% each ends in half a cent: 33.35 × 30% = 10.005.
    ytd_eligible, ytd_paid = "0.00", "0.00"
    paid = []
    for amount in ("33.35", "33.35", "33.30"):
        r = settle(outpatient(amount, ytd_eligible, ytd_paid))
        paid.append(r["hifp_pay"])
        ytd_eligible = r["year_to_date_after"]["outpatient_eligible"]
        ytd_paid = r["year_to_date_after"]["outpatient_fund_paid"]
    # each encounter rounded on its own: 10.005 → 10.01, 10.005 → 10.01, 9.99
    assert paid == ["10.01", "10.01", "9.99"]
    assert ytd_paid == "30.01"


def test_yearly_axis_explains_where_in_the_year_the_encounter_falls() -> None:
    r = settle(outpatient("8.95", "91.05", "27.32"))
    assert r["hifp_pay"] == "2.69"  # 8.95 × 30% = 2.685, rounded once
    assert any("91.05–100.00" in line for line in r["explanation"])


def test_b_line_over_its_limit_pays_self_pay_on_the_limited_part_only() -> None:
    line = split_item(
        Item("乙类耗材", "B", Decimal("1200.00"), Decimal("0.15"), Decimal("1000.00")),
        Decimal("0.10"),
    )
    assert line.overlmt_selfpay == Decimal("200.00")
    assert line.preselfpay_amt == Decimal("150.00")
    assert line.inscp_scp_amt == Decimal("850.00")


def test_c_line_is_wholly_own_pay_even_with_a_limit() -> None:
    line = split_item(
        Item("护工费", "C", Decimal("300.00"), None, Decimal("100.00")), Decimal("0.10")
    )
    assert line.fulamt_ownpay_amt == Decimal("300.00")
    assert line.overlmt_selfpay == Decimal("0.00")
    assert line.inscp_scp_amt == Decimal("0.00")


def _oncology(amount: str, ytd: dict[str, Any]) -> dict[str, Any]:
    return {
        "policy": "nmg-employee",
        "date": "2025-05-01",
        "person": {"group": "in_service"},
        "year_to_date": ytd,
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "oncology_course": True,
            "items": [{"name": "化疗", "list_type": "A", "amount": amount}],
        },
    }


def test_an_oncology_course_below_the_deductible_still_counts_as_the_years_deductible() -> None:
    first = settle(_oncology("500.00", {}))
    assert first["act_pay_dedc"] == "500.00"
    assert first["year_to_date_after"]["oncology_deductible_paid"] is True
    second = settle(_oncology("4000.00", first["year_to_date_after"]))
    assert second["act_pay_dedc"] == "0.00"
    assert second["hifp_pay"] == "3200.00"


def test_an_empty_oncology_bill_does_not_use_up_the_years_deductible() -> None:
    first = settle(_oncology("0.00", {}))
    assert first["year_to_date_after"]["oncology_deductible_paid"] is False
    assert first["year_to_date_after"]["admissions"] == 1
