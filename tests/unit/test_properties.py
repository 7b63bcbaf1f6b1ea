"""Property tests: the identities of spec 2.7 hold for any valid case, and a year of chained
encounters never pays more than the caps allow."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.rules import settle

ZERO = Decimal("0.00")
POLICIES = ("nmg-employee", "taiyuan-resident", "taiyuan-employee", "national-employee")
GROUPS = {
    "nmg-employee": ("in_service", "retired"),
    "taiyuan-resident": ("adult", "minor", "student"),
    "taiyuan-employee": ("in_service", "retired"),
    "national-employee": ("in_service", "retired"),
}
ANNUAL_CAP = {
    "nmg-employee": Decimal(250000),
    "taiyuan-resident": Decimal(40000),
    "taiyuan-employee": Decimal(24000),
    "national-employee": Decimal(300000),
}
QUOTA = {
    "hypertension_iii": Decimal(80),
    "renal_failure": Decimal(80),
    "coronary_mi": Decimal(100),
    "diabetes_heart": Decimal(100),
}
CAUSES = (
    None,
    "self_harm",
    "violence_crime",
    "third_party",
    "cosmetic",
    "work_injury",
    "maternity_insurance",
    "other_excluded",
)
MONEY_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
)


def money(max_cents: int) -> st.SearchStrategy[str]:
    return st.integers(0, max_cents).map(lambda c: f"{Decimal(c) / 100:.2f}")


@st.composite
def items(draw: st.DrawFn, max_cents: int = 2_000_000) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 5))):
        row: dict[str, Any] = {
            "name": f"item {i}",
            "list_type": draw(st.sampled_from("AABBC")),
            "amount": draw(money(max_cents)),
        }
        if row["list_type"] == "B" and draw(st.booleans()):
            row["selfpay_prop"] = draw(st.sampled_from(["0", "0.05", "0.10", "0.15", "0.333", "1"]))
        if draw(st.integers(0, 3)) == 0:
            row["limit_amount"] = draw(money(max_cents))
        out.append(row)
    return out


@st.composite
def encounters(draw: st.DrawFn, policy: str, max_cents: int = 2_000_000) -> dict[str, Any]:
    """A valid encounter for ``policy`` (eligible or not)."""
    med = draw(
        st.sampled_from(["inpatient", "inpatient", "chronic_outpatient", "outpatient", "maternity"])
    )
    enc: dict[str, Any] = {
        "med_type": med,
        "hospital_level": draw(st.sampled_from([1, 2, 3])),
        "items": draw(items(max_cents)),
    }
    if draw(st.integers(0, 9)) == 0:
        enc["cause"] = draw(st.sampled_from(CAUSES))
        enc["mental_illness"] = draw(st.booleans())
    if draw(st.integers(0, 9)) == 0:
        enc["designated"] = False
        enc["approved"] = draw(st.booleans())
    if med == "inpatient":
        enc["oncology_course"] = draw(st.booleans())
        enc["route"] = draw(st.sampled_from(["normal", "referral", "transfer_out", "emergency"]))
    if policy == "taiyuan-resident":
        enc["at_first_visit_hospital"] = draw(st.integers(0, 4)) > 0
    if med == "chronic_outpatient":
        if policy == "nmg-employee":
            cls = draw(st.sampled_from(["A", "B"]))
            codes = ["a1", "a2"] if cls == "A" else ["b1", "b2", "b3"]
            enc["chronic"] = {"class": cls, "disease": draw(st.sampled_from(codes))}
            if cls == "A":
                enc["therapy"] = draw(st.sampled_from([None, "dialysis", "anti_rejection"]))
        elif policy == "taiyuan-resident":
            if draw(st.booleans()):
                enc["chronic"] = {"class": "quota", "disease": draw(st.sampled_from(sorted(QUOTA)))}
            else:
                enc["chronic"] = {
                    "class": "quarterly",
                    "disease": draw(st.sampled_from(["k1", "k2"])),
                }
        else:
            enc["chronic"] = {"disease": draw(st.sampled_from(["d1", "d2"]))}
    return enc


@st.composite
def people(draw: st.DrawFn, policy: str) -> dict[str, Any]:
    person: dict[str, Any] = {
        "group": draw(st.sampled_from(GROUPS[policy])),
        "continuous_years": draw(st.integers(0, 4)),
    }
    if policy != "taiyuan-resident" and draw(st.booleans()):
        person["account_balance"] = draw(money(5_000_000))
        person["use_account"] = draw(st.booleans())
    return person


@st.composite
def year_to_date(draw: st.DrawFn, policy: str) -> dict[str, Any]:
    cap_cents = int(ANNUAL_CAP[policy] * 100)
    chronic = {
        d: {
            "deductible_paid": draw(money(40_000)),
            "fund_paid": draw(money(700_000)),
            "months": {
                f"{m:02d}": draw(money(12_000))
                for m in draw(st.sets(st.integers(1, 12), max_size=2))
            },
        }
        for d in draw(st.sets(st.sampled_from(["a1", "b1", "d1", "k1", *QUOTA]), max_size=3))
    }
    return {
        "admissions": draw(st.integers(0, 5)),
        "oncology_deductible_paid": draw(st.booleans()),
        "fund_paid": draw(money(cap_cents + 100_000)),
        "outpatient_deductible_paid": draw(money(15_000)),
        "outpatient_fund_paid": draw(money(250_000)),
        "outpatient_eligible": draw(money(30_000)),
        "chronic": chronic,
        "serious_illness_base": draw(money(3_000_000)),
        "serious_illness_paid": draw(money(1_000_000)),
    }


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    policy = draw(st.sampled_from(POLICIES))
    month = draw(st.integers(1, 12))
    out: dict[str, Any] = {
        "policy": policy,
        "date": f"2025-{month:02d}-15",
        "person": draw(people(policy)),
        "encounter": draw(encounters(policy)),
    }
    if draw(st.booleans()):
        out["year_to_date"] = draw(year_to_date(policy))
    return out


def amounts(result: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(result[k]) for k in MONEY_FIELDS}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_settlement_satisfies_the_identities_of_the_spec(case: dict[str, Any]) -> None:
    r = settle(case)
    a = amounts(r)
    for key, value in a.items():
        assert value >= 0, key
        assert value == value.quantize(Decimal("0.01")), key
    item_total = sum((Decimal(i["amount"]) for i in case["encounter"]["items"]), ZERO)
    assert a["medfee_sumamt"] == item_total
    assert a["inscp_scp_amt"] == (
        a["medfee_sumamt"] - a["fulamt_ownpay_amt"] - a["overlmt_selfpay"] - a["preselfpay_amt"]
    )
    assert a["fund_pay_sumamt"] == a["hifp_pay"] + a["hifmi_pay"]
    assert a["psn_part_amt"] == a["medfee_sumamt"] - a["fund_pay_sumamt"]
    assert a["psn_part_amt"] == a["acct_pay"] + a["psn_cash_pay"]
    assert a["act_pay_dedc"] <= a["inscp_scp_amt"]
    assert a["hifp_pay"] <= a["inscp_scp_amt"] - a["act_pay_dedc"]
    balance = case["person"].get("account_balance")
    assert a["acct_pay"] <= (Decimal(balance) if balance is not None else ZERO)
    if not r["eligible"]:
        assert a["fulamt_ownpay_amt"] == a["medfee_sumamt"]
        assert a["fund_pay_sumamt"] == ZERO
        assert a["acct_pay"] == ZERO
        assert r["ineligible_reason"]


@st.composite
def years(
    draw: st.DrawFn,
) -> tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """One person's policy, the state the year starts from, and dated encounters with large bills."""
    policy = draw(st.sampled_from(POLICIES))
    start = {
        "fund_paid": draw(money(int(ANNUAL_CAP[policy] * 100))),
        "outpatient_fund_paid": draw(money(200_000)),
    }
    person = draw(people(policy))
    person["continuous_years"] = 3
    visits = []
    for _ in range(draw(st.integers(1, 14))):
        month = draw(st.integers(1, 12))
        visits.append(
            (
                f"2025-{month:02d}-{draw(st.integers(1, 28)):02d}",
                draw(encounters(policy, 20_000_000)),
            )
        )
    return policy, person, start, visits


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(years())
def test_a_year_of_chained_encounters_never_pays_more_than_the_caps(
    year: tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, dict[str, Any]]]],
) -> None:
    policy, person, start, visits = year
    ytd: dict[str, Any] = start
    shared = ZERO
    outpatient = ZERO
    per_disease: dict[str, Decimal] = defaultdict(lambda: ZERO)
    per_month: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for when, enc in visits:
        r = settle(
            {
                "policy": policy,
                "date": when,
                "person": person,
                "year_to_date": ytd,
                "encounter": enc,
            }
        )
        hifp = Decimal(r["hifp_pay"])
        med = enc["med_type"]
        if not r["eligible"] and ytd:
            # an ineligible encounter changes nothing
            assert {k: r["year_to_date_after"][k] for k in ytd} == ytd
        if med in ("inpatient", "chronic_outpatient"):
            shared += hifp
        if med == "outpatient":
            outpatient += hifp
        chronic = enc.get("chronic") or {}
        if med == "chronic_outpatient" and chronic.get("class") == "B":
            per_disease[chronic["disease"]] += hifp
        if med == "chronic_outpatient" and chronic.get("class") == "quota":
            per_month[(chronic["disease"], when[5:7])] += hifp
        ytd = r["year_to_date_after"]
    assert shared <= ANNUAL_CAP[policy] - Decimal(start["fund_paid"])
    assert Decimal(ytd["fund_paid"]) == Decimal(start["fund_paid"]) + shared
    if policy == "national-employee":
        assert outpatient <= Decimal(2000) - Decimal(start["outpatient_fund_paid"])
        assert Decimal(ytd["outpatient_deductible_paid"]) <= Decimal(100)
    if policy == "nmg-employee":
        for disease, paid in per_disease.items():
            assert paid <= Decimal(5000), disease
            entry = ytd["chronic"].get(disease, {})
            assert Decimal(entry.get("fund_paid", "0")) <= Decimal(5000), disease
            assert Decimal(entry.get("deductible_paid", "0")) <= Decimal(300), disease
    if policy == "taiyuan-resident":
        for (disease, month), paid in per_month.items():
            assert paid <= QUOTA[disease], (disease, month)
        # 30% of the first 100 yuan of the year; each visit's payment is rounded once (spec 2),
        # so the year may exceed 30.00 by at most half a cent per visit
        outpatient_after = Decimal(ytd["outpatient_fund_paid"])
        visits_out = sum(1 for _, enc in visits if enc["med_type"] == "outpatient")
        slack = Decimal("0.005") * visits_out
        assert outpatient_after - Decimal(start["outpatient_fund_paid"]) <= Decimal(30) + slack
