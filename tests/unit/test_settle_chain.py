"""settle_chain: one person's year, each case starting from what the earlier ones left."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.rules import parse_case
from yibao.rules.chain import settle_chain


def _case(when: str, amount: str, **person: Any) -> dict[str, Any]:
    return {
        "policy": "national-employee",
        "date": when,
        "person": {"group": "in_service", **person},
        "encounter": {
            "med_type": "outpatient",
            "hospital_level": 1,
            "items": [{"name": "诊查费", "list_type": "A", "amount": amount}],
        },
    }


def test_the_yearly_outpatient_deductible_is_paid_once_then_again_after_new_year() -> None:
    cases = [
        parse_case(_case("2025-03-01", "80.00")),
        parse_case(_case("2025-06-01", "80.00")),
        parse_case(_case("2026-01-05", "80.00")),
    ]
    deductibles = [r.act_pay_dedc for r in settle_chain(cases)]
    # 100 yuan a year: 80 on the first visit, the last 20 on the second, 80 again in 2026
    assert deductibles == [Decimal("80.00"), Decimal("20.00"), Decimal("80.00")]


def test_a_year_to_date_given_in_the_case_is_ignored() -> None:
    raw = _case("2025-03-01", "80.00")
    raw["year_to_date"] = {"outpatient_deductible_paid": "100.00"}
    (result,) = settle_chain([parse_case(raw)])
    assert result.act_pay_dedc == Decimal("80.00")


def test_the_account_balance_runs_down_through_the_year_from_the_first_case() -> None:
    cases = [
        parse_case(_case("2025-03-01", "150.00", account_balance="100.00")),
        # the later case's own balance is not used: the running balance is 100 - 100 = 0
        parse_case(_case("2025-04-01", "150.00", account_balance="900.00")),
        parse_case(_case("2026-02-01", "150.00", account_balance="30.00")),
    ]
    paid = [r.acct_pay for r in settle_chain(cases)]
    assert paid == [Decimal("100.00"), Decimal("0.00"), Decimal("30.00")]
