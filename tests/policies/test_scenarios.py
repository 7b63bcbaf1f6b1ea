"""YAML scenario tests, OpenFisca style: one file per built-in policy.

Each ``tests/policies/<policy-id>.yaml`` is a list of ``{name, case, expect}``. The case is
a settlement case (spec section 1); ``policy`` defaults to the file's id and ``date`` to
``DEFAULT_DATE``. ``expect`` names result fields and their exact values (amounts as
two-decimal strings); ``year_to_date_after`` may be given as a partial mapping (nested
``chronic`` entries too). Every expected figure was worked out by hand from the spec.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from yibao.rules import default_registry, settle

HERE = Path(__file__).parent
DEFAULT_DATE = "2025-03-10"
RESULT_FIELDS = {
    "policy_version",
    "eligible",
    "ineligible_reason",
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
    "year_to_date_after",
}
NON_MONEY = {"policy_version", "eligible", "ineligible_reason", "year_to_date_after"}


def _plain(node: Any) -> Any:
    """YAML dates back to ISO strings, as they arrive in JSON."""
    if isinstance(node, dt.date):
        return node.isoformat()
    if isinstance(node, dict):
        return {str(k) if isinstance(k, dt.date) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _load() -> list[Any]:
    params = []
    for path in sorted(HERE.glob("*.yaml")):
        scenarios = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(scenarios, list), f"{path.name}: should be a list of scenarios"
        for sc in scenarios:
            params.append(pytest.param(path.stem, _plain(sc), id=f"{path.stem}: {sc['name']}"))
    return params


SCENARIOS = _load()


def _check(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key}: not in the result"
            _check(actual[key], value, f"{where}.{key}")
        return
    assert not isinstance(expected, float), f"{where}: write amounts as quoted strings"
    assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize(("policy_id", "scenario"), SCENARIOS)
def test_scenario_settles_as_worked_out_by_hand(policy_id: str, scenario: dict[str, Any]) -> None:
    assert set(scenario) == {"name", "case", "expect"}, "a scenario is {name, case, expect}"
    expect = scenario["expect"]
    assert expect, "a scenario must expect something"
    unknown = set(expect) - RESULT_FIELDS
    assert not unknown, f"unknown result fields in expect: {sorted(unknown)}"
    case = {"policy": policy_id, "date": DEFAULT_DATE, **scenario["case"]}
    result = settle(case)
    _check(result, expect, "result")
    _check_identities(result)


def _check_identities(r: dict[str, Any]) -> None:
    """Spec 2.7, on every scenario's result as well."""
    a = {k: Decimal(r[k]) for k in RESULT_FIELDS - NON_MONEY}
    assert all(v >= 0 for v in a.values())
    assert a["inscp_scp_amt"] == (
        a["medfee_sumamt"] - a["fulamt_ownpay_amt"] - a["overlmt_selfpay"] - a["preselfpay_amt"]
    )
    assert a["fund_pay_sumamt"] == a["hifp_pay"] + a["hifmi_pay"]
    assert a["psn_part_amt"] == a["medfee_sumamt"] - a["fund_pay_sumamt"]
    assert a["psn_part_amt"] == a["acct_pay"] + a["psn_cash_pay"]
    assert a["act_pay_dedc"] <= a["inscp_scp_amt"]
    assert a["hifp_pay"] <= a["inscp_scp_amt"] - a["act_pay_dedc"]


def test_every_built_in_policy_has_at_least_eight_scenarios() -> None:
    counts: dict[str, int] = {}
    for param in SCENARIOS:
        counts[param.values[0]] = counts.get(param.values[0], 0) + 1  # type: ignore[index]
    for pid in default_registry().ids():
        assert counts.get(pid, 0) >= 8, f"{pid}: only {counts.get(pid, 0)} scenarios"


def test_scenario_names_are_unique_within_a_file() -> None:
    seen: set[str] = set()
    for param in SCENARIOS:
        key = str(param.id)
        assert key not in seen, f"duplicate scenario {key}"
        seen.add(key)
