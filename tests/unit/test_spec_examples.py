"""The worked examples of the settlement spec, section 6, to the cent.

Every figure here is the one printed in ``shared/spec/settlement.md``; the remaining fields
follow from them by the identities of spec 2.7, worked out by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from yibao.rules import settle

DATE = "2025-03-10"


def case(
    policy: str,
    group: str,
    encounter: dict[str, Any],
    *,
    balance: str | None = None,
    ytd: dict[str, Any] | None = None,
) -> dict[str, Any]:
    person: dict[str, Any] = {"group": group}
    if balance is not None:
        person["account_balance"] = balance
    out: dict[str, Any] = {"policy": policy, "date": DATE, "person": person, "encounter": encounter}
    if ytd is not None:
        out["year_to_date"] = ytd
    return out


def item(list_type: str, amount: str, **extra: str) -> dict[str, str]:
    return {"name": f"{list_type} {amount}", "list_type": list_type, "amount": amount, **extra}


def assert_identities(r: dict[str, Any]) -> None:
    d = {
        k: Decimal(v)
        for k, v in r.items()
        if isinstance(v, str) and k.endswith(("amt", "pay", "dedc", "selfpay"))
    }
    assert d["inscp_scp_amt"] == (
        d["medfee_sumamt"] - d["fulamt_ownpay_amt"] - d["overlmt_selfpay"] - d["preselfpay_amt"]
    )
    assert d["fund_pay_sumamt"] == d["hifp_pay"] + d["hifmi_pay"]
    assert d["psn_part_amt"] == d["medfee_sumamt"] - d["fund_pay_sumamt"]
    assert d["psn_part_amt"] == d["acct_pay"] + d["psn_cash_pay"]
    assert all(v >= 0 for v in d.values())


NMG_EXAMPLE_ITEMS = [
    item("A", "15000.00"),
    item("B", "6000.00", selfpay_prop="0.10"),
    item("C", "1000.00"),
]


def test_example_1_nmg_in_service_level_3_admission_pays_16970() -> None:
    r = settle(
        case(
            "nmg-employee",
            "in_service",
            {"med_type": "inpatient", "hospital_level": 3, "items": NMG_EXAMPLE_ITEMS},
            balance="1200.00",
            ytd={"admissions": 0, "fund_paid": "0.00"},
        )
    )
    assert r["policy_version"] == "2024-01-01"
    assert r["eligible"] is True
    assert r["ineligible_reason"] is None
    assert r["medfee_sumamt"] == "22000.00"
    assert r["fulamt_ownpay_amt"] == "1000.00"
    assert r["overlmt_selfpay"] == "0.00"
    assert r["preselfpay_amt"] == "600.00"
    assert r["inscp_scp_amt"] == "20400.00"
    assert r["act_pay_dedc"] == "800.00"
    # 4200 × 80% = 3360; 5000 × 85% = 4250; 10400 × 90% = 9360
    assert r["hifp_pay"] == "16970.00"
    assert r["hifmi_pay"] == "0.00"
    assert r["fund_pay_sumamt"] == "16970.00"
    assert r["psn_part_amt"] == "5030.00"
    assert r["acct_pay"] == "1200.00"
    assert r["psn_cash_pay"] == "3830.00"
    assert r["year_to_date_after"]["admissions"] == 1
    assert r["year_to_date_after"]["fund_paid"] == "16970.00"
    assert_identities(r)


def test_example_1_explains_the_deductible_and_each_band() -> None:
    r = settle(
        case(
            "nmg-employee",
            "in_service",
            {"med_type": "inpatient", "hospital_level": 3, "items": NMG_EXAMPLE_ITEMS},
            balance="1200.00",
        )
    )
    text = "\n".join(r["explanation"])
    assert "起付线 800.00 元" in text
    assert "800.00–5000.00 元部分按 80% 支付 3360.00 元" in text
    assert "5000.00–10000.00 元部分按 85% 支付 4250.00 元" in text
    assert "10000.00–20400.00 元部分按 90% 支付 9360.00 元" in text


def test_example_2_retired_person_gets_five_more_points_on_every_band() -> None:
    r = settle(
        case(
            "nmg-employee",
            "retired",
            {"med_type": "inpatient", "hospital_level": 3, "items": NMG_EXAMPLE_ITEMS},
            balance="1200.00",
        )
    )
    # 4200 × 85% + 5000 × 90% + 10400 × 95% = 3570 + 4500 + 9880
    assert r["hifp_pay"] == "17950.00"
    assert r["act_pay_dedc"] == "800.00"
    assert r["psn_part_amt"] == "4050.00"  # 22000 − 17950
    assert r["acct_pay"] == "1200.00"
    assert r["psn_cash_pay"] == "2850.00"
    assert_identities(r)


def test_example_3_taiyuan_resident_minor_at_level_2_pays_55_percent_after_400() -> None:
    r = settle(
        case(
            "taiyuan-resident",
            "minor",
            {"med_type": "inpatient", "hospital_level": 2, "items": [item("A", "3000.00")]},
        )
    )
    assert r["policy_version"] == "2010-01-01"
    assert r["act_pay_dedc"] == "400.00"
    assert r["hifp_pay"] == "1430.00"  # (3000 − 400) × 55%
    assert r["psn_part_amt"] == "1570.00"
    assert r["acct_pay"] == "0.00"  # no individual account on the resident scheme
    assert r["psn_cash_pay"] == "1570.00"
    assert_identities(r)


def test_example_4_taiyuan_resident_transfer_out_pays_45_percent() -> None:
    r = settle(
        case(
            "taiyuan-resident",
            "adult",
            {
                "med_type": "inpatient",
                "hospital_level": 3,
                "route": "transfer_out",
                "items": [item("A", "30000.00")],
            },
        )
    )
    assert r["act_pay_dedc"] == "750.00"
    assert r["hifp_pay"] == "13162.50"  # (30000 − 750) × 45%
    assert r["psn_part_amt"] == "16837.50"
    assert_identities(r)


def test_example_5_national_retired_outpatient_level_1_pays_340() -> None:
    r = settle(
        case(
            "national-employee",
            "retired",
            {"med_type": "outpatient", "hospital_level": 1, "items": [item("A", "500.00")]},
        )
    )
    assert r["act_pay_dedc"] == "100.00"
    assert r["hifp_pay"] == "340.00"  # 400 × 85%
    assert r["hifmi_pay"] == "0.00"
    assert r["psn_part_amt"] == "160.00"
    after = r["year_to_date_after"]
    assert after["outpatient_deductible_paid"] == "100.00"
    assert after["outpatient_fund_paid"] == "340.00"
    assert after["fund_paid"] == "0.00"  # the outpatient cap is its own
    assert_identities(r)


def _national_admission(ytd: dict[str, Any] | None) -> dict[str, Any]:
    return case(
        "national-employee",
        "in_service",
        {"med_type": "inpatient", "hospital_level": 3, "items": [item("A", "60000.00")]},
        ytd=ytd,
    )


def test_example_6_first_admission_stays_below_the_serious_illness_threshold() -> None:
    r = settle(_national_admission({"serious_illness_base": "0.00"}))
    assert r["act_pay_dedc"] == "800.00"
    assert r["hifp_pay"] == "50320.00"  # 59200 × 85%
    assert r["hifmi_pay"] == "0.00"  # self-borne in scope 9680 < 10000
    assert r["psn_part_amt"] == "9680.00"
    assert r["year_to_date_after"]["serious_illness_base"] == "9680.00"
    assert_identities(r)


def test_example_6_second_admission_gets_serious_illness_insurance_on_the_excess() -> None:
    first = settle(_national_admission({"serious_illness_base": "0.00"}))
    r = settle(_national_admission(first["year_to_date_after"]))
    assert r["act_pay_dedc"] == "800.00"
    assert r["hifp_pay"] == "50320.00"
    # base 9680 → 19360; (19360 − 10000) × 60%
    assert r["hifmi_pay"] == "5616.00"
    assert r["fund_pay_sumamt"] == "55936.00"
    assert r["psn_part_amt"] == "4064.00"
    after = r["year_to_date_after"]
    assert after["admissions"] == 2
    assert after["fund_paid"] == "100640.00"
    assert after["serious_illness_base"] == "19360.00"
    assert after["serious_illness_paid"] == "5616.00"
    assert_identities(r)


def test_example_7_taiyuan_employee_third_admission_has_no_deductible() -> None:
    r = settle(
        case(
            "taiyuan-employee",
            "in_service",
            {"med_type": "inpatient", "hospital_level": 3, "items": [item("A", "10000.00")]},
            ytd={"admissions": 2},
        )
    )
    assert r["act_pay_dedc"] == "0.00"
    assert r["hifp_pay"] == "8500.00"  # 10000 × 85%
    assert r["year_to_date_after"]["admissions"] == 3
    assert_identities(r)


THIRD_PARTY_CASES = {
    "nmg-employee": ("in_service", "inpatient"),
    "taiyuan-resident": ("adult", "inpatient"),
    "taiyuan-employee": ("retired", "inpatient"),
    "national-employee": ("in_service", "outpatient"),
}


@pytest.mark.parametrize("policy", sorted(THIRD_PARTY_CASES))
def test_example_8_third_party_injury_leaves_the_whole_bill_to_the_person(policy: str) -> None:
    group, med_type = THIRD_PARTY_CASES[policy]
    ytd = {"admissions": 1, "fund_paid": "100.00"}
    r = settle(
        case(
            policy,
            group,
            {
                "med_type": med_type,
                "hospital_level": 2,
                "cause": "third_party",
                "items": [item("A", "5000.00"), item("B", "1000.00"), item("C", "200.00")],
            },
            ytd=ytd,
        )
    )
    assert r["eligible"] is False
    assert r["ineligible_reason"] == "third_party"
    assert r["medfee_sumamt"] == "6200.00"
    assert r["fulamt_ownpay_amt"] == "6200.00"
    assert r["inscp_scp_amt"] == "0.00"
    assert r["act_pay_dedc"] == "0.00"
    assert r["hifp_pay"] == "0.00"
    assert r["hifmi_pay"] == "0.00"
    assert r["fund_pay_sumamt"] == "0.00"
    assert r["psn_part_amt"] == "6200.00"
    assert r["psn_cash_pay"] == "6200.00"
    # an ineligible encounter changes nothing
    assert r["year_to_date_after"]["admissions"] == 1
    assert r["year_to_date_after"]["fund_paid"] == "100.00"
    assert_identities(r)


def test_example_8_account_pays_nothing_on_an_ineligible_encounter() -> None:
    r = settle(
        case(
            "nmg-employee",
            "in_service",
            {
                "med_type": "inpatient",
                "hospital_level": 1,
                "cause": "third_party",
                "items": [item("A", "800.00")],
            },
            balance="5000.00",
        )
    )
    assert r["acct_pay"] == "0.00"
    assert r["psn_cash_pay"] == "800.00"
